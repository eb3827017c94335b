resource "aws_cloudwatch_event_rule" "r" {
  event_pattern = <<EOF
{"source": ["x"]}
