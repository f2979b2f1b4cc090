locals {
  deep = {
    l1 = {
      l2 = {
        l3 = {
          l4 = [
            {
              l5 = "deep"
              longer_key = "x"
            }
          ]
        }
      }
    }
  }
  brackets_same_line = [[
    1, 2,
  ]]
  call_obj = merge({
    a = 1
    }, {
    b = 2
  })
}
