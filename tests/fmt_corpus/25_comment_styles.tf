# hash comment
// slash comment
/*
   multi-line block comment
     keeps its inner layout
*/
resource "x" "y" {
      # indented hash comment
  a = 1
        // indented slash comment
  b = 2
    /* inline block */ c = 3
  d = /* before value */ 4
}
#no space after hash
