locals {
  a = 1
  bb = 2
}

output "x" {
  value = local.a
}