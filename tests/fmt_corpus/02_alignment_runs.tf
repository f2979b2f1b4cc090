locals {
  a = 1
  bbbbbb = 2
  cc = 3

  long_name_here = "x"
  y = "y"
  # a comment line ends the run
  zz = "z"
  short = true
  nested = {
    k = 1
  }
  after_block = false
  q = null
}
