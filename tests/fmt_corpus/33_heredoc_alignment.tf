locals {
  a = 1
  user_data = <<EOF
#!/bin/sh
echo hi
EOF
  bbbbbb = 2
  json = <<-JSON
    {"k": "${var.v}"}
    JSON
  c = 3
}
