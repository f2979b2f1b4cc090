locals {
  enabled = var.enabled ? {
    x = 1
    longer = 2
  } : {}
  subnets_by_az = {
    for s in aws_subnet.private :
    s.availability_zone => s.id...
  }
  flat = flatten([
    for k, v in var.groups : [
      for m in v.members : {
        group = k
        member = m
      }
    ]
  ])
  cond_multi = (
    var.a
    ? "yes"
    : "no"
  )
}
