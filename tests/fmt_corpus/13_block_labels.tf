resource aws_instance web {
  ami = "x"
}

data aws_ami "ubuntu" {
  most_recent = true
}

resource "aws_s3_bucket"   "b"{
}

resource /* inline */ "null_resource" "n" {
}

module "escaped" {
}

provider aws {
  region = "us-east-1"
}
