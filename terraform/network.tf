# The VPC and subnets are inputs (variables.tf); this file only adds the security groups.
#   allowed_cidrs --443/80--> ALB --8501--> dashboard tasks --443--> AWS APIs
#   pipeline tasks: no ingress at all --443--> AWS APIs

resource "aws_security_group" "alb" {
  name        = "${local.name}-dashboard-alb"
  description = "Dashboard load balancer: HTTPS (and HTTP->HTTPS redirect) from allowed_cidrs only"
  vpc_id      = var.vpc_id
}

resource "aws_vpc_security_group_ingress_rule" "alb_https" {
  for_each          = toset(var.allowed_cidrs)
  security_group_id = aws_security_group.alb.id
  description       = "HTTPS from ${each.value}"
  cidr_ipv4         = each.value
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
}

resource "aws_vpc_security_group_ingress_rule" "alb_http_redirect" {
  for_each          = toset(var.allowed_cidrs)
  security_group_id = aws_security_group.alb.id
  description       = "HTTP from ${each.value}, answered only with a redirect to HTTPS"
  cidr_ipv4         = each.value
  ip_protocol       = "tcp"
  from_port         = 80
  to_port           = 80
}

resource "aws_vpc_security_group_egress_rule" "alb_to_dashboard" {
  security_group_id            = aws_security_group.alb.id
  description                  = "To the dashboard tasks"
  referenced_security_group_id = aws_security_group.dashboard.id
  ip_protocol                  = "tcp"
  from_port                    = 8501
  to_port                      = 8501
}

resource "aws_security_group" "dashboard" {
  name        = "${local.name}-dashboard-tasks"
  description = "Dashboard tasks: Streamlit from the load balancer only"
  vpc_id      = var.vpc_id
}

resource "aws_vpc_security_group_ingress_rule" "dashboard_from_alb" {
  security_group_id            = aws_security_group.dashboard.id
  description                  = "Streamlit from the dashboard load balancer"
  referenced_security_group_id = aws_security_group.alb.id
  ip_protocol                  = "tcp"
  from_port                    = 8501
  to_port                      = 8501
}

resource "aws_vpc_security_group_egress_rule" "dashboard_https" {
  security_group_id = aws_security_group.dashboard.id
  description       = "HTTPS to AWS APIs (S3, DynamoDB, ECR, CloudWatch Logs) via NAT or VPC endpoints"
  cidr_ipv4         = "0.0.0.0/0"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
}

resource "aws_security_group" "pipeline" {
  name        = "${local.name}-pipeline-tasks"
  description = "Pipeline tasks: no inbound traffic; HTTPS out to AWS APIs"
  vpc_id      = var.vpc_id
}

resource "aws_vpc_security_group_egress_rule" "pipeline_https" {
  security_group_id = aws_security_group.pipeline.id
  description       = "HTTPS to AWS APIs (S3, DynamoDB, SNS, CloudWatch, ECR, Logs) via NAT or VPC endpoints"
  cidr_ipv4         = "0.0.0.0/0"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
}
