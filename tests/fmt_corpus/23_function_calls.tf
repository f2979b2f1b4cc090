locals {
  merged = merge (var.a , var.b)
  joined = join(",",var.list)
  expanded = max(var.numbers...)
  formatted = format("%s-%s",
    var.a,
      var.b)
  multi = concat(
  var.one,
    var.two,
  )
  chained = lower(trimspace(var.s))
  nested_call = try(coalesce(var.a,var.b),null)
  empty = tolist( [] )
}
