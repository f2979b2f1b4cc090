locals {
  matrix = [
    [1,2,3],
    [
      4,
   5,
        6
    ],
    [ ],
  ]
  list_of_maps = [
    {
      name = "a"
      value = 1
    },
    {name="b", value=2},
  ]
}
