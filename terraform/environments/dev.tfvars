environment = "dev"
region      = "eu-west-1"
# image_tag is passed by deploy.yml: -var="image_tag=<git sha>"

vpc_id             = "vpc-0123456789abcdef0"
private_subnet_ids = ["subnet-0aaaaaaaaaaaaaaa1", "subnet-0aaaaaaaaaaaaaaa2"]
alb_subnet_ids     = ["subnet-0aaaaaaaaaaaaaaa1", "subnet-0aaaaaaaaaaaaaaa2"]
alb_internal       = true
allowed_cidrs      = ["10.0.0.0/8"]

acm_certificate_arn = "arn:aws:acm:eu-west-1:111111111111:certificate/00000000-0000-0000-0000-000000000000"

pipeline_cpu                   = 2048
pipeline_memory                = 8192
pipeline_ephemeral_storage_gib = 50
dashboard_desired_count        = 1

retrain_schedule = "cron(0 6 ? * MON *)"
log_level        = "DEBUG"
alert_emails     = []
