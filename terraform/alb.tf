# The dashboard behind an HTTPS load balancer; HTTP only redirects. Reachable from var.allowed_cidrs only.
resource "aws_lb" "dashboard" {
  # No WAF: the listeners are reachable only from var.allowed_cidrs (internal by default) and 0.0.0.0/0 is
  # refused by a validation; set var.dashboard_oidc (login) and add a WAF web ACL before ever widening that.
  name                       = "${local.name}-dash"
  load_balancer_type         = "application"
  internal                   = var.alb_internal
  subnets                    = var.alb_subnet_ids
  security_groups            = [aws_security_group.alb.id]
  drop_invalid_header_fields = true
  enable_deletion_protection = true

  access_logs {
    bucket  = aws_s3_bucket.logs.id
    prefix  = "alb"
    enabled = true
  }

  depends_on = [aws_s3_bucket_policy.logs]
}

resource "aws_lb_target_group" "dashboard" {
  # TLS terminates at the load balancer; the hop to the task stays in the private subnets, behind its security group.
  name                 = "${local.name}-dash"
  port                 = 8501
  protocol             = "HTTP"
  target_type          = "ip"
  vpc_id               = var.vpc_id
  deregistration_delay = 30

  # Streamlit keeps a session's state, downloads and images in the memory of the task that served it: with
  # two or more tasks, a browser must keep talking to the same one (else CSV downloads fail at random).
  stickiness {
    type            = "lb_cookie"
    cookie_duration = 86400
    enabled         = true
  }

  health_check {
    path                = "/_stcore/health"
    matcher             = "200"
    interval            = 30
    healthy_threshold   = 2
    unhealthy_threshold = 3
  }
}

resource "aws_lb_listener" "https" {
  load_balancer_arn = aws_lb.dashboard.arn
  port              = 443
  protocol          = "HTTPS"
  ssl_policy        = "ELBSecurityPolicy-TLS13-1-2-2021-06"
  certificate_arn   = var.acm_certificate_arn

  # Optional login (var.dashboard_oidc): the ALB authenticates with the OIDC provider before forwarding.
  dynamic "default_action" {
    for_each = var.dashboard_oidc == null ? [] : [var.dashboard_oidc]
    content {
      type  = "authenticate-oidc"
      order = 1

      authenticate_oidc {
        issuer                     = default_action.value.issuer
        authorization_endpoint     = default_action.value.authorization_endpoint
        token_endpoint             = default_action.value.token_endpoint
        user_info_endpoint         = default_action.value.user_info_endpoint
        client_id                  = default_action.value.client_id
        client_secret              = var.dashboard_oidc_client_secret
        scope                      = default_action.value.scope
        session_timeout            = default_action.value.session_timeout
        on_unauthenticated_request = "authenticate"
      }
    }
  }

  default_action {
    type             = "forward"
    order            = 2
    target_group_arn = aws_lb_target_group.dashboard.arn
  }
}

resource "aws_lb_listener" "http_redirect" {
  load_balancer_arn = aws_lb.dashboard.arn
  port              = 80
  protocol          = "HTTP"

  default_action {
    type = "redirect"
    redirect {
      port        = "443"
      protocol    = "HTTPS"
      status_code = "HTTP_301"
    }
  }
}
