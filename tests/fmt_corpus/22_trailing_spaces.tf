resource "x" "y" {   
  a = 1   
  bb = "two"	
  # comment with trailing spaces   
  c = [1, 2]  
}   
   
