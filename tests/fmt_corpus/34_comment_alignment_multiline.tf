resource "x" "y" { # opening
  a = 1 # one
  list = [ # list opens
    1, # first
    22, # second
  ] # list closes
  b = 2 # two
} # closing
