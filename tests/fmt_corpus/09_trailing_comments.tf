resource "aws_security_group_rule" "ingress" {
  type = "ingress" # direction
  from_port = 443 # https
  to_port = 443  # https
  protocol = "tcp" // tcp only
  cidr_blocks = ["0.0.0.0/0"] # everyone

  security_group_id = aws_security_group.sg.id #sg
}

list = [
  "one", # first
  "three", # third
  "eleven", # eleventh
]
