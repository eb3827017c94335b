# Heredoc and quoted-string templates whose interpolations sit where JSON
# values belong, and template shapes the reader cannot fill in.

variable "levels" {
  type    = list(number)
  default = [7, 8]
}

resource "aws_cloudwatch_event_rule" "findings" {
  name          = "findings-${terraform.workspace}"
  event_pattern = <<-PATTERN
    {
      "source": ["aws.guardduty"],
      "detail": {
        "severity": ${jsonencode(var.levels)},
        "count": [{ "numeric": [">=", ${var.min_count}] }]
      }
    }
  PATTERN
}

resource "aws_cloudwatch_event_rule" "from_file" {
  name          = "from-file"
  event_pattern = "${file("${path.module}/patterns/s3.json")}"
}

resource "aws_cloudwatch_event_rule" "escaped" {
  name          = "escaped"
  event_pattern = <<EOT
{
  "source": ["com.example.billing"],
  "detail": { "template": ["$${literal}"] }
}
EOT
}

resource "aws_cloudwatch_event_rule" "looped" {
  name          = "looped"
  event_pattern = <<EOT
{
  "source": [
    %{ for s in var.sources ~}
    "${s}",
    %{ endfor ~}
  ]
}
EOT
}

resource "aws_cloudwatch_event_rule" "computed" {
  name = "computed-key"
  event_pattern = jsonencode({
    (local.field) = ["x"]
    source        = ["com.example.computed"]
  })
}

resource "aws_cloudwatch_event_rule" "still_wrong" {
  name          = "still-wrong"
  event_pattern = <<EOT
{
  "account": ["${data.aws_caller_identity.current.account_id}"],
  "detail": { "size": [{ "numeric": [">", "big"] }] }
}
EOT
}
