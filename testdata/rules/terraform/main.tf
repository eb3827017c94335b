# EventBridge rules for the orders service
variable "stage" {
  type    = string
  default = "dev"
}

locals {
  sources = ["com.example.orders"]
}

resource "aws_cloudwatch_event_rule" "orders" {
  name        = "orders-created"
  description = "Orders created"
  event_pattern = jsonencode({
    source        = ["com.example.orders"]
    "detail-type" = ["Order Created"]
    detail = {
      total = [{ numeric = [">", 100] }]
    }
  })
}

resource "aws_cloudwatch_event_rule" "heredoc" {
  name          = "ec2-heredoc"
  is_enabled    = false
  event_pattern = <<-EOF
    {
      "source": ["aws.ec2"],
      "detail": { "state": [{ "numeric": ["<", "x"] }] }
    }
  EOF
}

resource "aws_cloudwatch_event_rule" "staged" {
  name = "staged-${var.stage}"
  event_pattern = jsonencode({
    source = local.sources
    detail = {
      stage  = [var.stage]
      status = [{ prefix = "fail" }, { bogus = 1 }]
    }
  })
}

resource "aws_cloudwatch_event_rule" "quoted" {
  name          = "quoted"
  state         = "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS"
  event_pattern = "{\"source\": [\"aws.s3\"], \"detail\": {\"x\": []}}"
}

resource "aws_cloudwatch_event_rule" "schedule" {
  name                = "nightly"
  schedule_expression = "cron(0 3 * * ? *)"
}

resource "aws_cloudwatch_event_target" "t" {
  rule = aws_cloudwatch_event_rule.orders.name
  arn  = "arn:aws:sqs:us-east-1:123456789012:q"
}

resource "aws_cloudwatch_event_rule" "from_file" {
  name          = "from-file"
  event_pattern = file("${path.module}/pattern.json")
}
