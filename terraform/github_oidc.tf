# The role deploy.yml assumes through GitHub's OIDC provider (optional: created when var.github_repository is set;
# otherwise the AWS_DEPLOY_ROLE_ARN role is managed elsewhere and must carry the same trust conditions).
#
# Prod deploys only from main, enforced twice: by the GitHub environment "prod" (deployment branch rule: main)
# and here, by the token's subject. GitHub's default subject for an environment job has no ref, so the repository
# must include it (once, by an admin):
#   gh api -X PUT repos/<owner>/<repo>/actions/oidc/customization/sub \
#     -F use_default=false -f 'include_claim_keys[]=repo' -f 'include_claim_keys[]=context' -f 'include_claim_keys[]=ref'
# Subjects then read repo:<owner>/<repo>:environment:<env>:ref:refs/heads/<branch>.
locals {
  github_deploy = var.github_repository != ""

  # prod: exactly main; other environments: any branch of this repository, still only through their environment
  github_deploy_subject = (
    var.environment == "prod"
    ? "repo:${var.github_repository}:environment:prod:ref:refs/heads/main"
    : "repo:${var.github_repository}:environment:${var.environment}:ref:refs/heads/*"
  )
}

data "aws_iam_policy_document" "github_deploy_assume" {
  count = local.github_deploy ? 1 : 0

  statement {
    actions = ["sts:AssumeRoleWithWebIdentity"]
    principals {
      type        = "Federated"
      identifiers = [var.github_oidc_provider_arn]
    }
    condition {
      test     = "StringEquals"
      variable = "token.actions.githubusercontent.com:aud"
      values   = ["sts.amazonaws.com"]
    }
    condition {
      test     = var.environment == "prod" ? "StringEquals" : "StringLike"
      variable = "token.actions.githubusercontent.com:sub"
      values   = [local.github_deploy_subject]
    }
  }
}

resource "aws_iam_role" "github_deploy" {
  count                = local.github_deploy ? 1 : 0
  name                 = "${local.name}-github-deploy"
  assume_role_policy   = data.aws_iam_policy_document.github_deploy_assume[0].json
  max_session_duration = 3600
}

resource "aws_iam_role_policy_attachment" "github_deploy" {
  for_each   = local.github_deploy ? toset(var.github_deploy_policy_arns) : toset([])
  role       = aws_iam_role.github_deploy[0].name
  policy_arn = each.value
}
