locals {
  upper = [for s in var.list: upper(s)]
  filtered = [for s in var.list : s if s!=""]
  by_key = {for k,v in var.map: k=>v}
  grouped = {for k, v in var.map : v.group => k...}
  nested = [for x in [1,2,3]: x*2]
  multi = {
    for name, cfg in var.instances :
    name => cfg.size
    if cfg.enabled
  }
  paren = [for x in (var.items): x]
  neg = {for k, v in var.m : k => -v}
}
