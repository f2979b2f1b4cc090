variable "region" {
  description = "AWS region"   # where we deploy
  type = string # the type
  default = "eu-west-1"        // default region
  # standalone comment
  nullable = false   # not null
  sensitive = false
}

# top-level comment
x = 1 # one
yyyy = 2 # two

/* block comment */
zz = 3   /* trailing block comment */
