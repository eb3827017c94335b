resource "aws_cloudwatch_event_rule" "this" {
  name_prefix   = "refunds-"
  event_pattern = jsonencode({ source = ["com.example.refunds"] })
}
