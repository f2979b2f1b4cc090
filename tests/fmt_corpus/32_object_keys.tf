locals {
  m = {
    "quoted key" = 1
    plain = 2
    (var.dynamic_key) = 3
    colon_key: 4
    "x": 5
  }
  inline = { a = 1, bb = 2, "c" = 3 }
  inline_colon = {a: 1, b: 2}
}
