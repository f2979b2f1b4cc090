locals {
  ports = [22,80,443,8080,8443,9000,9090,9100,9200,9300,3000,3306,5432,6379,27017,11211,5672,15672,2181,9092]
  names = [
    "alpha",
    "bravo" ,
    "charlie"  ,
    "delta",
      "echo",
    "foxtrot",
    "golf",
    "hotel",
    "india",
    "juliet"
  ]
  trailing = ["a","b",]
}
