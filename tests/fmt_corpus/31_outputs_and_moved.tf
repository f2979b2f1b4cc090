output "instance_ips" {
value = aws_instance.web[*].private_ip
description = "IPs"
sensitive = false
}

moved {
from = aws_instance.old
to = aws_instance.web
}

import {
to = aws_instance.web
id = "i-0123456789"
}

check "health" {
assert {
condition = data.http.h.status_code==200
error_message = "down"
}
}
