data "aws_ami" "ubuntu" {
  most_recent = true
  filter { }
  filter {}
  owners = ["099720109477"]
}

resource "null_resource" "a" { }

terraform {
}

locals {

}
