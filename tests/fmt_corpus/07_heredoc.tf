resource "aws_iam_policy" "p" {
  name = "p"
  policy = <<EOF
{
    "Version": "2012-10-17",
  "Statement": [ ${ local.statement } ]
}
EOF
  description = "policy"
}

locals {
  script = <<-EOT
      #!/bin/bash
        echo "${ var.msg }"   
      %{ if var.debug }set -x%{ endif }
    EOT
  x = 1
}
