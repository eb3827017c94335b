# Rules handed to the community EventBridge module: it creates one
# aws_cloudwatch_event_rule per entry, named "<key>-rule" ("_" -> "-").
module "eventbridge" {
  source  = "terraform-aws-modules/eventbridge/aws"
  version = "~> 3.0"

  bus_name = "orders"

  rules = {
    order_created = {
      description   = "New orders"
      event_pattern = jsonencode({ "source" : ["com.example.orders"], "detail-type" : ["OrderCreated"] })
      enabled       = true
    }
    refunds = {
      event_pattern = jsonencode({
        source = ["com.example.payments"]
        detail = { amount = [{ numeric = [">", "lots"] }] }
      })
      enabled = false
    }
    nightly = {
      schedule_expression = "cron(0 3 * * ? *)"
    }
  }
}
