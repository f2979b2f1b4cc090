resource "aws_instance" "web" {
  ami = "${var.ami}"
  subnet_id = "${ module.vpc.subnet_ids[0] }"
  name = "web-${var.env}"
  both = "${var.a}${var.b}"
  literal = "$${not_interpolated}"
  count = "${var.enabled ? 1 : 0}"
  call = "${lookup(var.m, "k", "d")}"
  tagged = "${merge(var.tags, {Name = "x"})}"
}

output "id" {
  value = "${aws_instance.web.id}"
}
