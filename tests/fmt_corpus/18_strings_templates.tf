locals {
  quoted = "say \"hello\""
  backslash = "C:\\path\\to"
  interp = "prefix-${ var.name }-suffix"
  directive = "%{ if var.on }on%{ else }off%{ endif }"
  loop = "%{ for i, v in var.list ~}${ i }=${ v },%{ endfor ~}"
  escaped = "$${literal} and %%{literal}"
  dollar = "cost: $5 and 100%"
  nested = "${ join(",", [for s in var.l : "${s}!"]) }"
  unicode = "héllo wörld"
  newline = "line1\nline2\ttab"
  empty = ""
}
