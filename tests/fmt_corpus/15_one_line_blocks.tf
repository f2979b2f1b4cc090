resource "aws_instance" "web" {
  lifecycle { ignore_changes = [tags] }
  timeouts {create="10m"}
  ebs_block_device { device_name = "${var.device}" }
  ami = "x"
}
variable "empty" {}
variable "x" { default = 1 }
