resource "aws_instance" "web" {
ami = "ami-123"
      instance_type = "t3.micro"
   root_block_device {
volume_size = 20
        volume_type = "gp3"
      }
    }

  module "vpc" {
source = "./modules/vpc"
      cidr = "10.0.0.0/16"
}
