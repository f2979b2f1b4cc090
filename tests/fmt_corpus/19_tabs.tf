resource "aws_instance" "web" {
	ami = "x"
	instance_type	=	"t3.micro"
	tags = {
		Name = "web"
		Owner	= "me"
	}
}
