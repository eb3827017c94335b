resource "aws_cloudwatch_event_rule" "this" {
  name          = "${var.env}-returns"
  event_pattern = jsonencode({ source = ["com.example.returns"] })
}

resource "aws_cloudwatch_event_rule" "Handler" {
  event_pattern = jsonencode({ source = ["com.example.returns"] })
}
