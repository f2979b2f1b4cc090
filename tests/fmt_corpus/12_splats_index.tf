output "ids" {
  value = aws_instance.web[*].id
}
output "first" {
  value = aws_instance.web [ 0 ].id
}
output "legacy" {
  value = aws_instance.web.*.private_ip
}
output "map_value" {
  value = var.map [ "key" ]
}
output "nested" {
  value = module.m.out[0]["k"][*].x
}
output "attr" {
  value = data.aws_ami.ubuntu.id
}
