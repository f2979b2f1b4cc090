locals {
  settings = {
    network = {
      cidr = "10.0.0.0/16"
      subnets = {
        public = ["10.0.1.0/24","10.0.2.0/24"]
        private_subnet_list = ["10.0.3.0/24"]
      }
    }
    compute = {size="large",count=3}
  }
}
