resource"aws_instance""web"{
ami="x"
instance_type="t3.micro"
tags={Name="web",Env=var.env}
count=var.n>0?var.n:1
vpc_security_group_ids=[aws_security_group.a.id,aws_security_group.b.id]
user=lookup(var.m,"user","default")
}
