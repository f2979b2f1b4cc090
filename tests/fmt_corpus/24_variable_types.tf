variable "a" {
  type = list
}
variable "b" {
  type = "string"
}
variable "c" {
  type = "map"
  default = {}
}
variable "d" {
  type = object({
    name = string
    size = optional(number, 10)
    tags = map(string)
  })
}
variable "e" {
  type = set
  description = "a set"
}
variable "f" {
  type = "list"
}
