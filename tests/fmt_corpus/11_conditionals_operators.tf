locals {
  a = var.x?1:2
  b = var.enabled&&!var.disabled
  c = var.n>=10||var.n<0
  d = var.n==1?"one":var.n!=2?"not two":"two"
  e = -1
  f = var.a-var.b
  g = var.a*-1
  h = (var.a+var.b)*var.c/2%3
  i = ! var.flag
  j = - var.num
  k = 5 - -3
  l = [ -1, - 2, 3 ]
}
