"""boto3 / botocore against the emulator, as against Bedrock Runtime.

Run: python3 -m venv /tmp/v && /tmp/v/bin/pip install boto3 && cargo build -p bedrock_emulator
     && /tmp/v/bin/python native/bedrock_emulator/tests/clients/check_boto3.py
"""

import base64
import datetime
import json
import os
import tempfile

import boto3
import botocore
from botocore.config import Config
from botocore.exceptions import ClientError

from emulator import ACCESS_KEY_ID, API_KEY, SECRET_ACCESS_KEY, Emulator, check, png_image

HAIKU = "us.anthropic.claude-haiku-4-5-20251001-v1:0"
SONNET_45 = "anthropic.claude-sonnet-4-5-20250929-v1:0"
NO_RETRY = Config(retries={"total_max_attempts": 1, "mode": "standard"})


def client(url, config=NO_RETRY, **kw):
    return boto3.client("bedrock-runtime", region_name="us-east-1", endpoint_url=url, config=config, **kw)


def error(fn):
    try:
        fn()
    except ClientError as e:
        return e.response["ResponseMetadata"]["HTTPStatusCode"], e.response["Error"]["Code"], e.response["Error"]["Message"]
    raise AssertionError("expected an error")


def main():
    with Emulator() as emu:
        c = client(emu.url, aws_access_key_id=ACCESS_KEY_ID, aws_secret_access_key=SECRET_ACCESS_KEY)
        msgs = [{"role": "user", "content": [{"text": "What are your opening hours?"}]}]

        out = c.converse(modelId=HAIKU, messages=msgs)
        check(out["output"]["message"]["content"][0]["text"], "converse returns text")
        check(out["usage"]["inputTokens"] > 0, "converse usage")

        events = list(c.converse_stream(modelId=HAIKU, messages=msgs)["stream"])
        check("messageStart" in events[0] and "metadata" in events[-1], "converse_stream events")
        text = "".join(e["contentBlockDelta"]["delta"].get("text", "") for e in events if "contentBlockDelta" in e)
        check(len(text) > 10, "converse_stream text")

        body = json.dumps({"anthropic_version": "bedrock-2023-05-31", "max_tokens": 200,
                           "messages": [{"role": "user", "content": "hi"}]})
        chunks = list(c.invoke_model_with_response_stream(modelId=HAIKU, body=body)["body"])
        kinds = [json.loads(ch["chunk"]["bytes"])["type"] for ch in chunks]
        check(kinds[0] == "message_start" and kinds[-1] == "message_stop", "invoke_model_with_response_stream chunks")

        status, code, msg = error(lambda: c.converse(modelId=SONNET_45, messages=msgs))
        check((status, code) == (400, "ValidationException") and "with on-demand throughput isn\u2019t supported" in msg,
              "profile-only base id: " + msg)
        status, code, msg = error(lambda: c.converse(modelId="us.anthropic.claude-3-5-haiku-20241022-v1:0", messages=msgs))
        check((status, code) == (404, "ResourceNotFoundException") and "end of its life" in msg, "EOL model: " + msg)
        status, code, msg = error(lambda: c.converse(modelId="us." + SONNET_45, messages=msgs,
                                                     inferenceConfig={"temperature": 0.5, "topP": 0.9}))
        check(msg == "`temperature` and `top_p` cannot both be specified for this model. Please use only one.",
              "temperature + top_p: " + msg)
        # A geographic profile from a region outside its geography names no model there
        # (github.com/anomalyco/opencode/issues/16747); from a region of its own it is served.
        sonnet46 = "anthropic.claude-sonnet-4-6"
        status, code, msg = error(lambda: c.converse(modelId="eu." + sonnet46, messages=msgs))
        check((status, code, msg) == (400, "ValidationException", "The provided model identifier is invalid."),
              "eu. profile from us-east-1: " + msg)
        eu = boto3.client("bedrock-runtime", region_name="eu-central-1", endpoint_url=emu.url, config=NO_RETRY,
                          aws_access_key_id=ACCESS_KEY_ID, aws_secret_access_key=SECRET_ACCESS_KEY)
        check(eu.converse(modelId="eu." + sonnet46, messages=msgs)["output"]["message"]["content"][0]["text"],
              "eu. profile from eu-central-1")
        status, code, msg = error(lambda: eu.converse(modelId="us." + sonnet46, messages=msgs))
        check((status, msg) == (400, "The provided model identifier is invalid."), "us. profile from eu-central-1")
        check(eu.converse(modelId="global." + sonnet46, messages=msgs)["output"]["message"]["content"],
              "global. profile from eu-central-1")
        bad_body = json.dumps({"anthropic_version": "bedrock-2023-05-31", "max_tokens": 10, "foo": 1,
                               "messages": [{"role": "user", "content": "hi"}]})
        status, code, msg = error(lambda: c.invoke_model(modelId=HAIKU, body=bad_body))
        check("extraneous key [foo] is not permitted" in msg, "unknown InvokeModel key: " + msg)

        if hasattr(c, "count_tokens"):
            # Claude Sonnet 4, the last model of AWS's old count-tokens table, is past EOL.
            status, code, msg = error(lambda: c.count_tokens(modelId="anthropic.claude-sonnet-4-20250514-v1:0",
                                                             input={"converse": {"messages": msgs}}))
            check((status, code) == (404, "ResourceNotFoundException") and "end of its life" in msg,
                  "count_tokens on an EOL model: " + msg)
            status, code, msg = error(lambda: c.count_tokens(modelId=HAIKU, input={"converse": {"messages": msgs}}))
            check((status, code) == (400, "ValidationException") and "doesn't support counting tokens" in msg,
                  "count_tokens on a profile: " + msg)
            # Bare Claude 4.5 / 4.6 base ids are counted (data/models.json S_COUNT_MEASURED);
            # models launched cross-Region only (Opus 4.7 on) are counted on bedrock-mantle.
            system = [{"text": "You are a phone agent."}]
            conv = {"converse": {"system": system, "messages": msgs}}
            for base in ("anthropic.claude-haiku-4-5-20251001-v1:0", "anthropic.claude-sonnet-4-6",
                         "anthropic.claude-opus-4-6-v1", SONNET_45):
                n = c.count_tokens(modelId=base, input=conv)["inputTokens"]
                check(isinstance(n, int) and n > 0, f"count_tokens (Converse input) on {base}: {n}")
            for base in ("anthropic.claude-opus-4-7", "anthropic.claude-sonnet-5", "amazon.nova-lite-v1:0"):
                status, code, msg = error(lambda: c.count_tokens(modelId=base, input=conv))
                check((status, code, msg) == (400, "ValidationException",
                                              "The provided model doesn't support counting tokens"),
                      f"count_tokens on {base} refused: {msg}")

        t = emu.temporary
        temp = client(emu.url, aws_access_key_id=t["key"], aws_secret_access_key=t["secret"], aws_session_token=t["token"])
        check(temp.converse(modelId=HAIKU, messages=msgs)["stopReason"] == "end_turn", "temporary credentials")
        bogus = client(emu.url, aws_access_key_id=t["key"], aws_secret_access_key=t["secret"], aws_session_token="bogus")
        status, code, msg = error(lambda: bogus.converse(modelId=HAIKU, messages=msgs))
        check((status, code, msg) == (403, "UnrecognizedClientException",
                                      "The security token included in the request is invalid."), "bogus session token")

        emu.admin("faults", "error=ServiceQuotaExceededException")
        status, code, msg = error(lambda: c.invoke_model(modelId=HAIKU, body=body))
        check((status, code) == (400, "ServiceQuotaExceededException"), "quota error is a 400")
        emu.admin("faults", "none")
        std = client(emu.url, aws_access_key_id=ACCESS_KEY_ID, aws_secret_access_key=SECRET_ACCESS_KEY,
                     config=Config(retries={"max_attempts": 3, "mode": "standard"}))
        emu.admin("faults", "error=ServiceQuotaExceededException")
        before = emu.admin("counters")["total_requests"]
        error(lambda: std.invoke_model(modelId=HAIKU, body=body))
        # One InvokeModel and the counters read itself: no retry of a 400.
        check(emu.admin("counters")["total_requests"] - before == 2, "standard retry mode does not retry it")
        emu.admin("faults", "none")

        # Bedrock API key: botocore sends bearer tokens over HTTPS only.
        os.environ["AWS_BEARER_TOKEN_BEDROCK"] = API_KEY
        try:
            bearer = boto3.Session().client("bedrock-runtime", region_name="us-east-1", endpoint_url=emu.tls_url,
                                            verify=emu.ca_file, config=NO_RETRY)
            check(bearer.converse(modelId=HAIKU, messages=msgs)["stopReason"] == "end_turn",
                  "bearer API key over HTTPS (botocore " + botocore.__version__ + ")")
        finally:
            del os.environ["AWS_BEARER_TOKEN_BEDROCK"]

    prefill_and_guardrails()
    with Emulator() as emu:
        c = client(emu.url, aws_access_key_id=ACCESS_KEY_ID, aws_secret_access_key=SECRET_ACCESS_KEY)
        conversation_features(emu, c)
        tool_round_trip(c)
        thinking_tool_loop_and_betas(c)
        cache_point_rules(c)
        usage_keys(c)
        effort_and_tool_result_content(c)
        invoke_model(c)
        errors_and_retries(emu)
        server_side_validation(emu)
        service_tiers(c)
        citations(c)
        async_invoke(emu, c)
        control_plane(emu)
    application_profiles()


def control_plane(emu):
    """The `bedrock` service (control plane) on the same endpoint: botocore's service model
    (data/bedrock/2023-04-20/service-2.json) is the contract; data from the emulator's catalog."""
    cp = boto3.client("bedrock", region_name="us-east-1", endpoint_url=emu.url, config=NO_RETRY,
                      aws_access_key_id=ACCESS_KEY_ID, aws_secret_access_key=SECRET_ACCESS_KEY)
    before = emu.admin("counters")
    summaries = cp.list_foundation_models()["modelSummaries"]
    ids = [m["modelId"] for m in summaries]
    sonnet46 = next(m for m in summaries if m["modelId"] == "anthropic.claude-sonnet-4-6")
    check(sonnet46["modelArn"] == "arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-sonnet-4-6"
          and sonnet46["providerName"] == "Anthropic" and sonnet46["inferenceTypesSupported"] == ["INFERENCE_PROFILE"]
          and sonnet46["modelLifecycle"]["status"] == "ACTIVE" and sonnet46["responseStreamingSupported"] is True,
          "list_foundation_models: a profile-only model's summary")
    check("anthropic.claude-3-haiku-20240307-v1:0" not in ids and "amazon.nova-pro-v1:0" in ids,
          "list_foundation_models: EOL models are not listed (%d models)" % len(ids))
    anthropic = [m["modelId"] for m in cp.list_foundation_models(byProvider="anthropic")["modelSummaries"]]
    check(anthropic and all(i.startswith("anthropic.") for i in anthropic)
          and [m["modelId"] for m in cp.list_foundation_models(byProvider="Anthropic")["modelSummaries"]] == anthropic,
          "byProvider anthropic / Anthropic")
    on_demand = [m["modelId"] for m in cp.list_foundation_models(byInferenceType="ON_DEMAND")["modelSummaries"]]
    check("amazon.nova-pro-v1:0" in on_demand and "anthropic.claude-sonnet-4-6" not in on_demand,
          "byInferenceType ON_DEMAND")
    check(cp.list_foundation_models(byOutputModality="IMAGE")["modelSummaries"] == [], "byOutputModality IMAGE: none")
    status, code, msg = error(lambda: cp.list_foundation_models(byOutputModality="AUDIO"))
    check((status, code) == (400, "ValidationException") and msg == "1 validation error detected: Value 'AUDIO' at "
          "'byOutputModality' failed to satisfy constraint: Member must satisfy enum value set: [TEXT, IMAGE, EMBEDDING]",
          "byOutputModality AUDIO: " + msg)

    legacy = "anthropic.claude-opus-4-1-20250805-v1:0"
    details = cp.get_foundation_model(modelIdentifier=legacy)["modelDetails"]
    check(details["modelId"] == legacy and details["modelLifecycle"]["status"] == "LEGACY"
          and details["modelLifecycle"]["endOfLifeTime"].year == 2027, "get_foundation_model: a legacy model")
    arn = "arn:aws:bedrock:us-east-1::foundation-model/" + legacy
    check(cp.get_foundation_model(modelIdentifier=arn)["modelDetails"]["modelId"] == legacy,
          "get_foundation_model by ARN")
    for unknown in ["anthropic.claude-9", "anthropic.claude-3-haiku-20240307-v1:0"]:
        status, code, msg = error(lambda: cp.get_foundation_model(modelIdentifier=unknown))
        check((status, code, msg) == (400, "ValidationException", "Could not find model with identifier " + unknown),
              "get_foundation_model unknown / EOL: " + msg)

    profiles = cp.list_inference_profiles()["inferenceProfileSummaries"]
    pids = [p["inferenceProfileId"] for p in profiles]
    check("us.anthropic.claude-sonnet-4-6" in pids and "global.anthropic.claude-sonnet-4-6" in pids
          and not any(p.startswith("eu.") for p in pids), "list_inference_profiles from us-east-1")
    pages = list(cp.get_paginator("list_inference_profiles").paginate(PaginationConfig={"PageSize": 5}))
    paged = [p["inferenceProfileId"] for page in pages for p in page["inferenceProfileSummaries"]]
    check(len(pages) > 2 and paged == pids and all(len(p["inferenceProfileSummaries"]) <= 5 for p in pages),
          "list_inference_profiles paginator, 5 a page (%d pages)" % len(pages))
    check(cp.list_inference_profiles(typeEquals="APPLICATION")["inferenceProfileSummaries"] == [],
          "typeEquals APPLICATION: none")
    p = cp.get_inference_profile(inferenceProfileIdentifier="us.anthropic.claude-sonnet-4-6")
    check(p["inferenceProfileName"] == "US Anthropic Claude Sonnet 4.6" and p["type"] == "SYSTEM_DEFINED"
          and p["status"] == "ACTIVE" and p["models"][0]["modelArn"].endswith("/anthropic.claude-sonnet-4-6"),
          "get_inference_profile")
    check(cp.get_inference_profile(inferenceProfileIdentifier=p["inferenceProfileArn"])["inferenceProfileId"]
          == "us.anthropic.claude-sonnet-4-6", "get_inference_profile by ARN")
    status, code, _ = error(lambda: cp.get_inference_profile(inferenceProfileIdentifier="eu.anthropic.claude-sonnet-4-6"))
    check((status, code) == (404, "ResourceNotFoundException"), "an eu. profile from us-east-1 is not found")
    eu = boto3.client("bedrock", region_name="eu-west-1", endpoint_url=emu.url, config=NO_RETRY,
                      aws_access_key_id=ACCESS_KEY_ID, aws_secret_access_key=SECRET_ACCESS_KEY)
    p = eu.get_inference_profile(inferenceProfileIdentifier="eu.anthropic.claude-sonnet-4-6")
    check(p["inferenceProfileArn"].startswith("arn:aws:bedrock:eu-west-1:"), "get_inference_profile from eu-west-1")
    a = cp.get_foundation_model_availability(modelId="anthropic.claude-sonnet-4-6")
    check(a["authorizationStatus"] == "AUTHORIZED" and a["regionAvailability"] == "AVAILABLE",
          "get_foundation_model_availability")
    # The `bedrock` service takes Bedrock API keys too (service-2.json: smithy.api#httpBearerAuth).
    os.environ["AWS_BEARER_TOKEN_BEDROCK"] = API_KEY
    try:
        bearer = boto3.Session().client("bedrock", region_name="us-east-1", endpoint_url=emu.tls_url,
                                        verify=emu.ca_file, config=NO_RETRY)
        check(len(bearer.list_foundation_models(byProvider="amazon")["modelSummaries"]) > 3,
              "list_foundation_models with a bearer API key over HTTPS")
    finally:
        del os.environ["AWS_BEARER_TOKEN_BEDROCK"]
    after = emu.admin("counters")
    check(after["list-foundation-models"]["ok"] - before.get("list-foundation-models", {}).get("ok", 0) == 6
          and after["get-foundation-model"]["not_found"] >= 2, "the control plane's counters")


def application_profiles():
    """Application inference profiles of the configuration: GetInferenceProfile /
    ListInferenceProfiles(typeEquals=APPLICATION), and the runtime applies the source's rules."""
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "profiles.json")
        with open(path, "w") as f:
            json.dump([{"id": "frontdesk001", "name": "front desk", "model_source": HAIKU},
                       {"id": "oldhaiku0001", "name": "old haiku",
                        "model_source": "us.anthropic.claude-3-5-haiku-20241022-v1:0"}], f)
        with Emulator("--application-profiles", path) as emu:
            keys = dict(region_name="us-east-1", endpoint_url=emu.url, config=NO_RETRY,
                        aws_access_key_id=ACCESS_KEY_ID, aws_secret_access_key=SECRET_ACCESS_KEY)
            cp = boto3.client("bedrock", **keys)
            apps = cp.list_inference_profiles(typeEquals="APPLICATION")["inferenceProfileSummaries"]
            check([(a["inferenceProfileId"], a["type"]) for a in apps]
                  == [("frontdesk001", "APPLICATION"), ("oldhaiku0001", "APPLICATION")],
                  "list_inference_profiles(typeEquals=APPLICATION): the configured profiles")
            arn = apps[0]["inferenceProfileArn"]
            p = cp.get_inference_profile(inferenceProfileIdentifier=arn)
            check(arn.endswith(":application-inference-profile/frontdesk001") and p["inferenceProfileName"] == "front desk"
                  and p["models"][0]["modelArn"].endswith("/anthropic.claude-haiku-4-5-20251001-v1:0"),
                  "get_inference_profile of an application profile ARN")
            rt = client(emu.url, aws_access_key_id=ACCESS_KEY_ID, aws_secret_access_key=SECRET_ACCESS_KEY)
            msgs = [{"role": "user", "content": [{"text": "hi"}]}]
            check(rt.converse(modelId=arn, messages=msgs)["stopReason"] == "end_turn", "converse on the profile ARN")
            status, code, msg = error(lambda: rt.count_tokens(modelId=arn, input={"converse": {"messages": msgs}}))
            check((status, code) == (400, "ValidationException") and "doesn't support counting tokens" in msg,
                  "count_tokens on an application profile: refused as on profile ids")
            # An application-profile ARN of another region names nothing for a us-east-1 signer,
            # at runtime as in GetInferenceProfile (earendil-works/pi#5527: "The provided model
            # identifier is invalid."); a client of that region is served.
            west = arn.replace(":us-east-1:", ":us-west-2:")
            status, code, msg = error(lambda: rt.converse(modelId=west, messages=msgs))
            check((status, code, msg) == (400, "ValidationException", "The provided model identifier is invalid."),
                  "converse on another region's application-profile ARN: " + msg)
            status, code, msg = error(lambda: rt.count_tokens(modelId=west, input={"converse": {"messages": msgs}}))
            check((status, code, msg) == (400, "ValidationException", "The provided model identifier is invalid."),
                  "count_tokens on another region's application-profile ARN: " + msg)
            status, code, msg = error(lambda: cp.get_inference_profile(inferenceProfileIdentifier=west))
            check((status, code) == (404, "ResourceNotFoundException"),
                  "get_inference_profile of another region's ARN: " + msg)
            west_rt = boto3.client("bedrock-runtime", **{**keys, "region_name": "us-west-2"})
            check(west_rt.converse(modelId=west, messages=msgs)["stopReason"] == "end_turn",
                  "converse on the us-west-2 ARN from us-west-2")
            status, code, msg = error(lambda: rt.converse(modelId=apps[1]["inferenceProfileArn"], messages=msgs))
            check((status, code) == (404, "ResourceNotFoundException") and "end of its life" in msg,
                  "an application profile of an EOL model answers as the model does: " + msg)


def prefill_and_guardrails():
    answer = "First we check the calendar. Then we book the slot."
    with tempfile.TemporaryDirectory() as d:
        guardrails = os.path.join(d, "guardrails.json")
        with open(guardrails, "w") as f:
            json.dump([{"id": "gr7abc", "blocked_input_messaging": "Not on this line.",
                        "blocked_outputs_messaging": "That answer was withheld."}], f)
        with Emulator("--guardrails", guardrails) as emu:
            emu.admin("rules", json.dumps([
                {"prompt_contains": "invest", "guardrail": {"on": "input", "topic": "Investments"}},
                {"reply": answer}]))
            c = client(emu.url, aws_access_key_id=ACCESS_KEY_ID, aws_secret_access_key=SECRET_ACCESS_KEY)
            prefilled = [{"role": "user", "content": [{"text": "Book me in"}]},
                         {"role": "assistant", "content": [{"text": "First we check the calendar."}]}]
            out = c.converse(modelId=HAIKU, messages=prefilled)
            check(out["output"]["message"]["content"][0]["text"] == " Then we book the slot.",
                  "the model continues after an assistant prefill")
            status, code, msg = error(lambda: c.converse(modelId="us.anthropic.claude-sonnet-4-6", messages=prefilled))
            check((status, code) == (400, "ValidationException") and "does not support assistant message prefill" in msg,
                  "Claude 4.6 refuses a prefill: " + msg)

            gr = {"guardrailIdentifier": "gr7abc", "guardrailVersion": "DRAFT", "trace": "enabled"}
            ask = [{"role": "user", "content": [{"guardContent": {"text": {"text": "Any invest tips?"}}}]}]
            out = c.converse(modelId=HAIKU, messages=ask, guardrailConfig=gr)
            blocked = out["trace"]["guardrail"]["inputAssessment"]["gr7abc"]
            topic = blocked["topicPolicy"]["topics"][0]
            check(out["stopReason"] == "guardrail_intervened" and topic["name"] == "Investments"
                  and blocked["appliedGuardrailDetails"]["guardrailVersion"] == "DRAFT",
                  "guardrail intervenes with its trace (appliedGuardrailDetails)")
            events = list(c.converse_stream(modelId=HAIKU, messages=ask,
                                            guardrailConfig=dict(gr, streamProcessingMode="async"))["stream"])
            check(events[-1]["metadata"]["trace"]["guardrail"]["inputAssessment"]["gr7abc"],
                  "converse_stream metadata carries the guardrail trace")
            # Let through, the guardrail still reports its assessments when a trace is asked
            # for (Bedrock's recorded answer: agentjido/req_llm guardrail_converse_allowed.json).
            calm = [{"role": "user", "content": [{"text": "Say hi in two words."}]}]
            out = c.converse(modelId=HAIKU, messages=calm, guardrailConfig=gr)
            g = out["trace"]["guardrail"]
            check(out["stopReason"] == "end_turn" and g["actionReason"] == "No action." and g["modelOutput"] == []
                  and g["inputAssessment"]["gr7abc"]["invocationMetrics"]["guardrailCoverage"]["textCharacters"]
                  == {"guarded": 20, "total": 20}
                  and g["outputAssessments"]["gr7abc"][0]["appliedGuardrailDetails"]["guardrailArn"]
                  == "arn:aws:bedrock:us-east-1:123456789012:guardrail/gr7abc",
                  "guardrail lets it through: trace with actionReason 'No action.'")
            check("trace" not in c.converse(modelId=HAIKU, messages=calm, guardrailConfig=dict(gr, trace="disabled")),
                  "no trace asked: none")
            status, code, msg = error(lambda: c.converse(modelId=HAIKU, messages=ask,
                                                         guardrailConfig=dict(gr, guardrailVersion="9")))
            check((status, code, msg) == (400, "ValidationException",
                                          "The guardrail identifier or version provided in the request does not exist."),
                  "unknown guardrail version")
            apply_guardrail(emu, c)


def apply_guardrail(emu, c):
    """ApplyGuardrail: text checked against a guardrail with no model (API_runtime_ApplyGuardrail)."""
    emu.admin("rules", json.dumps([
        {"prompt_contains": "invest", "guardrail": {"on": "input", "topic": "Investments"}},
        {"prompt_contains": "diagnosis", "guardrail": {"on": "output", "topic": "Medical advice"}}]))
    out = c.apply_guardrail(guardrailIdentifier="gr7abc", guardrailVersion="DRAFT", source="INPUT",
                            content=[{"text": {"text": "Any invest tips?"}}])
    topic = out["assessments"][0]["topicPolicy"]["topics"][0]
    check(out["action"] == "GUARDRAIL_INTERVENED" and out["outputs"] == [{"text": "Not on this line."}]
          and topic["name"] == "Investments" and topic["action"] == "BLOCKED"
          and out["usage"]["topicPolicyUnits"] == 1
          and out["guardrailCoverage"]["textCharacters"] == {"guarded": 16, "total": 16},
          "apply_guardrail INPUT: intervened, blocked input message, topic assessment, usage")
    # By ARN and published version; an OUTPUT check with the output message; 1,000 chars a text unit.
    arn = "arn:aws:bedrock:us-east-1:123456789012:guardrail/gr7abc"
    long_text = "The diagnosis is " + "x" * 1000
    out = c.apply_guardrail(guardrailIdentifier=arn, guardrailVersion="1", source="OUTPUT",
                            content=[{"text": {"text": long_text}}, {"text": {"text": "ok", "qualifiers": ["query"]}}])
    check(out["action"] == "GUARDRAIL_INTERVENED" and out["outputs"] == [{"text": "That answer was withheld."}]
          and out["usage"]["topicPolicyUnits"] == 3, f"apply_guardrail OUTPUT by ARN: {out['usage']}")
    out = c.apply_guardrail(guardrailIdentifier="gr7abc", guardrailVersion="DRAFT", source="OUTPUT",
                            content=[{"text": {"text": "Any invest tips?"}}])
    check(out["action"] == "NONE" and out["outputs"] == [] and out["assessments"] == [],
          "apply_guardrail: an input-only topic does not block OUTPUT")
    status, code, msg = error(lambda: c.apply_guardrail(guardrailIdentifier="gr7abc", guardrailVersion="9",
                                                        source="INPUT", content=[{"text": {"text": "hi"}}]))
    check((status, code) == (400, "ValidationException") and "does not exist" in msg,
          "apply_guardrail unknown version: " + msg)
    raw = client(emu.url, aws_access_key_id=ACCESS_KEY_ID, aws_secret_access_key=SECRET_ACCESS_KEY,
                 config=Config(parameter_validation=False, retries={"total_max_attempts": 1}))
    status, code, msg = error(lambda: raw.apply_guardrail(guardrailIdentifier="gr7abc", guardrailVersion="0",
                                                          source="BOTH", content=[{"text": {"text": "hi"}}]))
    # The patterns and enum of botocore's model (ApplyGuardrailRequest).
    check(code == "ValidationException" and msg.startswith("2 validation errors detected: Value '0' at "
                                                           "'guardrailVersion' failed to satisfy constraint")
          and "Value 'BOTH' at 'source' failed to satisfy constraint: Member must satisfy enum value set: "
              "[INPUT, OUTPUT]" in msg, "apply_guardrail server-side validation: " + msg[:80])
    emu.admin("faults", "error=ThrottlingException")
    try:
        c.apply_guardrail(guardrailIdentifier="gr7abc", guardrailVersion="DRAFT", source="INPUT",
                          content=[{"text": {"text": "hi"}}])
        raise AssertionError("throttled apply_guardrail succeeded")
    except c.exceptions.ThrottlingException:
        check(True, "apply_guardrail: injected throttling raises ThrottlingException")
    emu.admin("faults", "none")
    emu.admin("rules", "[]")


def async_invoke(emu, c):
    """The async-invoke operations: the emulator's models are not async models (Nova Reel is)."""
    s3 = {"s3OutputDataConfig": {"s3Uri": "s3://my-video-bucket/out"}}
    status, code, msg = error(lambda: c.start_async_invoke(modelId="amazon.nova-lite-v1:0", modelInput={"x": 1},
                                                           outputDataConfig=s3))
    # Bedrock's answer for Nova Lite / Pro (repost.aws/questions/QUoOV2Eru5TX6S8ovKD0ZyOg).
    check((status, code, msg) == (400, "ValidationException", "The provided model doesn't support async inference."),
          "start_async_invoke on a text model: " + msg)
    status, code, msg = error(lambda: c.start_async_invoke(modelId="amazon.nova-lite-v1:0", modelInput={"x": 1},
                                                           outputDataConfig={"s3OutputDataConfig": {"s3Uri": "/tmp/x"}}))
    check(code == "ValidationException" and "at 'outputDataConfig.s3OutputDataConfig.s3Uri' failed to satisfy "
          "constraint: Member must satisfy regular expression pattern" in msg, "start_async_invoke s3Uri pattern")
    out = c.list_async_invokes(maxResults=10, statusEquals="InProgress")
    pages = list(c.get_paginator("list_async_invokes").paginate())
    check(out["asyncInvokeSummaries"] == [] and len(pages) == 1, "list_async_invokes (and its paginator): none")
    since = datetime.datetime(2026, 12, 1, tzinfo=datetime.timezone.utc)
    out = c.list_async_invokes(submitTimeAfter=since, submitTimeBefore=since + datetime.timedelta(days=4),
                               sortBy="SubmissionTime", sortOrder="Descending")
    check(out["asyncInvokeSummaries"] == [], "list_async_invokes with time filters and sorting")
    status, code, msg = error(lambda: c.list_async_invokes(statusEquals="Done", sortOrder="Up"))
    check((status, code) == (400, "ValidationException") and msg.startswith("2 validation errors detected: Value "
          "'Done' at 'statusEquals' failed to satisfy constraint: Member must satisfy enum value set: "
          "[InProgress, Completed, Failed]"), "list_async_invokes filters are checked: " + msg[:80])
    arn = "arn:aws:bedrock:us-east-1:123456789012:async-invoke/abcdef123456"
    status, code, msg = error(lambda: c.get_async_invoke(invocationArn=arn))
    check((status, code) == (400, "ValidationException") and arn in msg, "get_async_invoke of an unknown ARN")


WEATHER_TOOL = {"toolSpec": {"name": "get_weather", "description": "Get the weather forecast for a city",
                             "inputSchema": {"json": {"type": "object", "properties": {"city": {"type": "string"}},
                                                      "required": ["city"]}}}}


def conversation_features(emu, c):
    answer = "We open at 9:00 a.m. sharp. We close at 6 p.m. on weekdays."
    emu.admin("rules", json.dumps([{"prompt_contains": "opening hours", "reply": answer}]))
    msgs = [{"role": "user", "content": [{"text": "What are your opening hours?"}]}]
    system = [{"text": "You are the front desk of a dental clinic."}]
    out = c.converse(modelId=HAIKU, messages=msgs, system=system,
                     inferenceConfig={"maxTokens": 300, "temperature": 0.2})
    u = out["usage"]
    # ceil(chars / 4) per text + 3 per message (docs/EMULATOR.md "Tokens").
    expected_in = -(-len(system[0]["text"]) // 4) + -(-len(msgs[0]["content"][0]["text"]) // 4) + 3
    check(out["output"]["message"]["content"] == [{"text": answer}] and out["stopReason"] == "end_turn",
          "converse with system + inferenceConfig: the scripted reply, end_turn")
    check((u["inputTokens"], u["outputTokens"], u["totalTokens"]) == (expected_in, -(-len(answer) // 4),
                                                                      expected_in + -(-len(answer) // 4)),
          f"converse usage {u}")
    check(isinstance(out["metrics"]["latencyMs"], int), "converse metrics.latencyMs")
    out = c.converse(modelId=HAIKU, messages=msgs, inferenceConfig={"stopSequences": ["6 p.m."]})
    check(out["stopReason"] == "stop_sequence" and out["output"]["message"]["content"][0]["text"]
          == "We open at 9:00 a.m. sharp. We close at ", "stopSequences cut the reply: stop_sequence")
    paths = ["/stop_sequence", "/usage/output_tokens"]
    out = c.converse(modelId=HAIKU, messages=msgs, inferenceConfig={"stopSequences": ["6 p.m."]},
                     additionalModelResponseFieldPaths=paths)
    check(out["additionalModelResponseFields"] == {"stop_sequence": "6 p.m.",
                                                   "usage": {"output_tokens": out["usage"]["outputTokens"]}},
          f"additionalModelResponseFieldPaths: {out['additionalModelResponseFields']}")
    events = list(c.converse_stream(modelId=HAIKU, messages=msgs, inferenceConfig={"stopSequences": ["6 p.m."]},
                                    additionalModelResponseFieldPaths=paths)["stream"])
    stop = [e["messageStop"] for e in events if "messageStop" in e][0]
    check(stop["stopReason"] == "stop_sequence" and stop["additionalModelResponseFields"]["stop_sequence"] == "6 p.m.",
          "converse_stream messageStop carries additionalModelResponseFields")
    out = c.converse(modelId=HAIKU, messages=msgs, inferenceConfig={"maxTokens": 3})
    check(out["stopReason"] == "max_tokens" and out["usage"]["outputTokens"] == 3, "maxTokens 3: max_tokens")
    events = list(c.converse_stream(modelId=HAIKU, messages=msgs, system=system)["stream"])
    text = "".join(e["contentBlockDelta"]["delta"]["text"] for e in events if "contentBlockDelta" in e)
    stop = [e["messageStop"]["stopReason"] for e in events if "messageStop" in e]
    check(text == answer and stop == ["end_turn"] and events[-1]["metadata"]["usage"]["outputTokens"]
          == -(-len(answer) // 4), "converse_stream: the same text, stop reason and usage")

    # Extended thinking through additionalModelRequestFields.
    out = c.converse(modelId=HAIKU, messages=msgs, inferenceConfig={"maxTokens": 3000},
                     additionalModelRequestFields={"thinking": {"type": "enabled", "budget_tokens": 1024}})
    blocks = out["output"]["message"]["content"]
    check("reasoningContent" in blocks[0] and blocks[0]["reasoningContent"]["reasoningText"]["signature"]
          and blocks[-1] == {"text": answer}, "thinking: a signed reasoning block before the answer")
    status, code, msg = error(lambda: c.converse(modelId=HAIKU, messages=msgs,
                                                 additionalModelRequestFields={"top_kk": 5}))
    check((status, code, msg) == (400, "ValidationException",
                                  "The model returned the following errors: top_kk: Extra inputs are not permitted"),
          "unknown additionalModelRequestFields key: " + msg)
    status, code, msg = error(lambda: c.converse(
        modelId=HAIKU, messages=msgs, inferenceConfig={"maxTokens": 1000},
        additionalModelRequestFields={"thinking": {"type": "enabled", "budget_tokens": 1024}}))
    check(code == "ValidationException" and "must be greater than `thinking.budget_tokens`" in msg,
          "thinking budget >= maxTokens rejected")

    if hasattr(c, "count_tokens"):
        body = json.dumps({"anthropic_version": "bedrock-2023-05-31", "max_tokens": 10,
                           "messages": [{"role": "user", "content": "What are your opening hours?"}]})
        # The InvokeModel form passes validation and meets the model's end of life, like Converse.
        status, code, msg = error(lambda: c.count_tokens(modelId="anthropic.claude-sonnet-4-20250514-v1:0",
                                                         input={"invokeModel": {"body": body}}))
        check((status, code) == (404, "ResourceNotFoundException") and "end of its life" in msg,
              "count_tokens of an InvokeModel body on an EOL model: " + msg)
        # The InvokeModel form on a countable base id counts the body's prompt: the same
        # number as the Converse form of the same message.
        haiku = "anthropic.claude-haiku-4-5-20251001-v1:0"
        n_invoke = c.count_tokens(modelId=haiku, input={"invokeModel": {"body": body}})["inputTokens"]
        n_conv = c.count_tokens(modelId=haiku, input={"converse": {"messages": [
            {"role": "user", "content": [{"text": "What are your opening hours?"}]}]}})["inputTokens"]
        check(n_invoke > 0 and n_invoke == n_conv,
              f"count_tokens of an InvokeModel body = of the Converse input ({n_invoke}, {n_conv})")
        status, code, msg = error(lambda: c.count_tokens(modelId=haiku, input={"invokeModel": {"body": "not json"}}))
        check((status, code) == (400, "ValidationException"), "count_tokens of a body that is no JSON: " + msg)
    emu.admin("rules", "[]")


def tool_round_trip(c):
    tools = {"tools": [WEATHER_TOOL]}
    msgs = [{"role": "user", "content": [{"text": "What's the weather forecast in Paris?"}]}]
    out = c.converse(modelId=HAIKU, messages=msgs, toolConfig=tools)
    blocks = out["output"]["message"]["content"]
    use = [b["toolUse"] for b in blocks if "toolUse" in b]
    check(out["stopReason"] == "tool_use" and len(use) == 1 and use[0]["name"] == "get_weather"
          and isinstance(use[0]["input"]["city"], str) and use[0]["toolUseId"].startswith("tooluse_"),
          f"converse tool use: {use}")
    # Bedrock's Claude answers name the block's type (req_llm sequential_tool_cache_1.json); the message
    # goes back below as it came, type and all.
    check(use[0].get("type") == "tool_use", "converse toolUse type tool_use (botocore keeps the member)")
    msgs += [out["output"]["message"],
             {"role": "user", "content": [{"toolResult": {"toolUseId": use[0]["toolUseId"],
                                                           "content": [{"json": {"forecast": "Sunny, 21 degrees"}}]}}]}]
    out = c.converse(modelId=HAIKU, messages=msgs, toolConfig=tools)
    text = out["output"]["message"]["content"][0]["text"]
    check(out["stopReason"] == "end_turn" and "Sunny, 21 degrees" in text, "tool result answered: " + text)

    schema = {"type": "object", "properties": {"city": {"type": "string"}, "celsius": {"type": "number"}},
              "required": ["city", "celsius"]}
    out = c.converse(modelId=HAIKU, messages=msgs[:1], outputConfig={"textFormat": {
        "type": "json_schema", "structure": {"jsonSchema": {"schema": json.dumps(schema), "name": "forecast"}}}})
    answer = json.loads(out["output"]["message"]["content"][0]["text"])
    check(answer["city"] == "Paris" and isinstance(answer["celsius"], (int, float)),
          f"structured output (outputConfig json_schema): {answer}")

    forced = dict(tools, toolChoice={"tool": {"name": "get_weather"}})
    events = list(c.converse_stream(modelId=HAIKU, messages=msgs[:1], toolConfig=forced)["stream"])
    start = [e["contentBlockStart"]["start"]["toolUse"] for e in events if "contentBlockStart" in e]
    partial = "".join(e["contentBlockDelta"]["delta"]["toolUse"]["input"] for e in events
                      if "contentBlockDelta" in e and "toolUse" in e["contentBlockDelta"]["delta"])
    texts = [e for e in events if "contentBlockDelta" in e and "text" in e["contentBlockDelta"]["delta"]]
    check(start and start[0]["name"] == "get_weather" and "city" in json.loads(partial) and not texts
          and events[-2]["messageStop"]["stopReason"] == "tool_use",
          "converse_stream forced tool: toolUse start, JSON input deltas, no preface")
    status, code, msg = error(lambda: c.converse(modelId=HAIKU, messages=msgs[:2]))
    check(code == "ValidationException" and msg == "The toolConfig field must be defined when using toolUse and "
          "toolResult content blocks.", "toolUse without toolConfig: " + msg)


def thinking_tool_loop_and_betas(c):
    """What a client of real Bedrock meets and the emulator used to let through: new tool use ids
    on every call, the signed reasoning block a thinking tool loop must send back, and the
    `anthropic_beta` values Bedrock refuses."""
    tools = {"tools": [WEATHER_TOOL]}
    msgs = [{"role": "user", "content": [{"text": "What's the weather forecast in Paris?"}]}]
    first = c.converse(modelId=HAIKU, messages=msgs, toolConfig=tools)
    again = c.converse(modelId=HAIKU, messages=msgs, toolConfig=tools)
    ids = [b["toolUse"]["toolUseId"] for o in (first, again) for b in o["output"]["message"]["content"]
           if "toolUse" in b]
    events = list(c.converse_stream(modelId=HAIKU, messages=msgs, toolConfig=tools)["stream"])
    ids += [e["contentBlockStart"]["start"]["toolUse"]["toolUseId"] for e in events if "contentBlockStart" in e]
    check(len(ids) == 3 and len(set(ids)) == 3 and first["output"]["message"]["content"][0]
          == again["output"]["message"]["content"][0],
          "the same request three times (converse, converse, converse_stream): three toolUseIds, same text")

    # Extended thinking with tools: the assistant turn sent back must keep its reasoning block
    # (Anthropic's rule, passed on by Bedrock; quoted in langchain-ai/langchain-aws#844).
    think = {"thinking": {"type": "enabled", "budget_tokens": 1024}}
    out = c.converse(modelId=HAIKU, messages=msgs, toolConfig=tools, inferenceConfig={"maxTokens": 3000},
                     additionalModelRequestFields=think)
    turn = out["output"]["message"]
    use = [b["toolUse"] for b in turn["content"] if "toolUse" in b][0]
    check("reasoningContent" in turn["content"][0] and out["stopReason"] == "tool_use",
          "thinking + tools: reasoning, then the tool use")
    result = {"role": "user", "content": [{"toolResult": {"toolUseId": use["toolUseId"],
                                                          "content": [{"text": "Sunny, 21 degrees"}]}}]}
    ok = c.converse(modelId=HAIKU, messages=msgs + [turn, result], toolConfig=tools,
                    inferenceConfig={"maxTokens": 3000}, additionalModelRequestFields=think)
    check(ok["stopReason"] == "end_turn", "the tool result with the reasoning block kept: answered")
    # The reasoning block sent back edited (a client trimming or re-joining the text): Claude
    # refuses it (anthropics/claude-code#63404; on Bedrock: BerriAI/litellm#25375).
    edited = json.loads(json.dumps(turn))
    edited["content"][0]["reasoningContent"]["reasoningText"]["text"] += " (edited)"
    status, code, msg = error(lambda: c.converse(
        modelId=HAIKU, messages=msgs + [edited, result], toolConfig=tools, inferenceConfig={"maxTokens": 3000},
        additionalModelRequestFields=think))
    check((status, msg) == (400, "The model returned the following errors: messages.1.content.0: `thinking` or "
                                 "`redacted_thinking` blocks in the latest assistant message cannot be modified. These "
                                 "blocks must remain as they were in the original response."),
          "the reasoning block sent back edited: " + msg[:90])
    # ...or without its signature (a stream cut before the signature arrived): earendil-works/pi#2063.
    unsigned = json.loads(json.dumps(turn))
    del unsigned["content"][0]["reasoningContent"]["reasoningText"]["signature"]
    status, code, msg = error(lambda: c.converse(
        modelId=HAIKU, messages=msgs + [unsigned, result], toolConfig=tools, inferenceConfig={"maxTokens": 3000},
        additionalModelRequestFields=think))
    check((status, msg) == (400, "The model returned the following errors: messages.1.content.0.thinking.signature: "
                                 "Field required"), "the reasoning block sent back without its signature: " + msg)
    stripped = {"role": "assistant", "content": turn["content"][1:]}
    status, code, msg = error(lambda: c.converse(
        modelId=HAIKU, messages=msgs + [stripped, result], toolConfig=tools, inferenceConfig={"maxTokens": 3000},
        additionalModelRequestFields=think))
    check((status, code) == (400, "ValidationException") and msg.startswith(
        "The model returned the following errors: messages.1.content.0.type: Expected `thinking` or "
        "`redacted_thinking`, but found `text`. When `thinking` is enabled, a final `assistant` message must "
        "start with a thinking block"), "the reasoning block dropped: " + msg)
    # Without thinking the same history is fine.
    check(c.converse(modelId=HAIKU, messages=msgs + [stripped, result], toolConfig=tools)["stopReason"] == "end_turn",
          "the same history without thinking: answered")

    status, code, msg = error(lambda: c.converse(modelId=HAIKU, messages=msgs,
                                                 toolConfig={"tools": [WEATHER_TOOL, WEATHER_TOOL]}))
    check((status, msg) == (400, "The model returned the following errors: tools: Tool names must be unique."),
          "two tools with one name: " + msg)
    # Thinking and a forced tool choice do not go together (strands-agents/harness-sdk#1495).
    for choice in ({"any": {}}, {"tool": {"name": "get_weather"}}):
        status, code, msg = error(lambda: c.converse(
            modelId=HAIKU, messages=msgs, toolConfig=dict(tools, toolChoice=choice),
            inferenceConfig={"maxTokens": 3000}, additionalModelRequestFields=think))
        check((status, code, msg) == (400, "ValidationException", "The model returned the following errors: "
                                      "Thinking may not be enabled when tool_choice forces tool use."),
              f"thinking with toolChoice {list(choice)[0]}: " + msg)
    status, code, msg = error(lambda: c.converse(
        modelId=HAIKU, messages=msgs, inferenceConfig={"maxTokens": 3000},
        additionalModelRequestFields=dict(think, top_k=50)))
    check(msg.startswith("The model returned the following errors: `top_k` must be unset when thinking is enabled."),
          "thinking with top_k: " + msg[:80])
    check(c.converse(modelId=HAIKU, messages=msgs, toolConfig=dict(tools, toolChoice={"auto": {}}),
                     inferenceConfig={"maxTokens": 3000}, additionalModelRequestFields=think)["stopReason"] == "tool_use",
          "thinking with toolChoice auto: served")

    # A document's name: Bedrock refuses a file name with its extension (simonw/llm-bedrock#8),
    # for every model.
    def with_doc(name):
        return [{"role": "user", "content": [
            {"text": "Summarise the attached notes."},
            {"document": {"name": name, "format": "txt", "source": {"bytes": b"Open 9 to 6 on weekdays."}}}]}]
    for model in (HAIKU, "us.amazon.nova-lite-v1:0"):
        check(c.converse(modelId=model, messages=with_doc("opening notes (v2)"))["stopReason"] == "end_turn",
              f"converse with a document named 'opening notes (v2)' on {model}")
        status, code, msg = error(lambda: c.converse(modelId=model, messages=with_doc("attachment.txt")))
        check((status, code) == (400, "ValidationException") and msg.startswith(
            "The document file name can only contain alphanumeric characters, whitespace characters, hyphens, "
            "parentheses, and square brackets."), f"a document named 'attachment.txt' on {model}: " + msg[:60])
    # At most 5 documents, and no two with one name, across the conversation (Bedrock's texts from
    # production logs: aws-samples/generative-ai-use-cases#1685).
    def doc(name):
        return {"document": {"name": name, "format": "txt", "source": {"bytes": b"Open 9 to 6."}}}
    five = [{"role": "user", "content": [{"text": "Summarise these."}] + [doc(f"notes {i}") for i in range(5)]}]
    check(c.converse(modelId=HAIKU, messages=five)["stopReason"] == "end_turn", "five documents: served")
    status, code, msg = error(lambda: c.converse(modelId=HAIKU, messages=[
        {"role": "user", "content": five[0]["content"] + [doc("notes 5")]}]))
    check((status, msg) == (400, "You can't include more than 5 documents in a request."), "six documents: " + msg)
    again = with_doc("report") + [{"role": "assistant", "content": [{"text": "Done."}]},
                                  {"role": "user", "content": [{"text": "And this one?"}, doc("report")]}]
    status, code, msg = error(lambda: c.converse(modelId="us.amazon.nova-lite-v1:0", messages=again))
    check((status, msg) == (400, "Messages can't contain duplicate document names."),
          "one document name in two turns: " + msg)
    status, code, msg = error(lambda: c.converse_stream(modelId=HAIKU, messages=with_doc("notes  two spaces")))
    check(code == "ValidationException" and msg.startswith("The document file name"),
          "converse_stream with two spaces in a document name: refused before the stream")

    betas = {"anthropic_beta": ["interleaved-thinking-2025-05-14"]}
    check(c.converse(modelId=HAIKU, messages=msgs, additionalModelRequestFields=betas)["stopReason"],
          "converse with anthropic_beta interleaved-thinking-2025-05-14")
    status, code, msg = error(lambda: c.converse(
        modelId=HAIKU, messages=msgs, additionalModelRequestFields={"anthropic_beta": ["extended-cache-ttl-2025-04-11"]}))
    check((status, code, msg) == (400, "ValidationException",
                                  "The model returned the following errors: invalid beta flag"),
          "converse with a beta Bedrock does not take: " + msg)
    body = {"anthropic_version": "bedrock-2023-05-31", "max_tokens": 500,
            "messages": [{"role": "user", "content": "hi"}]}
    out = json.loads(c.invoke_model(modelId=HAIKU, body=json.dumps(
        dict(body, anthropic_beta=["context-1m-2025-08-07", "token-efficient-tools-2025-02-19"])))["body"].read())
    check(out["stop_reason"] == "end_turn", "invoke_model with two betas Bedrock takes")
    status, code, msg = error(lambda: c.invoke_model(modelId=HAIKU, body=json.dumps(
        dict(body, anthropic_beta=["mcp-client-2025-04-04"]))))
    check((status, code, msg) == (400, "ValidationException", "invalid beta flag"),
          "invoke_model with mcp-client-2025-04-04: " + msg)


def cache_point_rules(c):
    """Claude's prompt-cache breakpoint rules as Bedrock passes them on: at most 4, no 1-hour
    breakpoint after a 5-minute one, and (Bedrock's own) none right after a reasoning block."""
    point = {"cachePoint": {"type": "default"}}
    hour = {"cachePoint": {"type": "default", "ttl": "1h"}}
    system = [{"text": "You are the front desk of a clinic."}, point]
    texts = [b for i in range(4) for b in ({"text": f"Part {i} of the notes."}, point)]
    status, code, msg = error(lambda: c.converse(modelId=HAIKU, system=system,
                                                 messages=[{"role": "user", "content": texts}]))
    check((status, code, msg) == (400, "ValidationException", "The model returned the following errors: A maximum "
                                  "of 4 blocks with cache_control may be provided. Found 5."), "five cache points: " + msg)
    check(c.converse(modelId=HAIKU, system=system, messages=[{"role": "user", "content": texts[:6]}])["stopReason"]
          == "end_turn", "four cache points: served")
    status, code, msg = error(lambda: c.converse(modelId=HAIKU, system=system, messages=[
        {"role": "user", "content": [{"text": "Long notes."}, {"text": "More notes."}, hour]}]))
    check(msg == "The model returned the following errors: messages.0.content.1.cache_control.ttl: a ttl='1h' "
          "cache_control block must not come after a ttl='5m' cache_control block. Note that blocks are processed "
          "in the following order: `tools`, `system`, `messages`.", "a 1h cache point after a 5m one: " + msg[:70])
    check(c.converse(modelId=HAIKU, system=[system[0], hour], messages=[{"role": "user", "content": texts[:2]}])
          ["stopReason"] == "end_turn", "a 5m cache point after a 1h one: served")
    think = {"thinking": {"type": "enabled", "budget_tokens": 1024}}
    ask = [{"role": "user", "content": [{"text": "What are your opening hours?"}]}]
    turn = c.converse(modelId=HAIKU, messages=ask, inferenceConfig={"maxTokens": 3000},
                      additionalModelRequestFields=think)["output"]["message"]
    reasoning_then_point = {"role": "assistant", "content": [turn["content"][0], point]}
    status, code, msg = error(lambda: c.converse(
        modelId=HAIKU, inferenceConfig={"maxTokens": 3000}, additionalModelRequestFields=think,
        messages=ask + [reasoning_then_point, {"role": "user", "content": [{"text": "And on Sunday?"}]}]))
    check((status, msg) == (400, "Cache point cannot be inserted after reasoning block. Please remove the invalid "
                                 "cache point and try again."), "a cache point after a reasoning block: " + msg)


def effort_and_tool_result_content(c):
    """Round 8: outputConfig.effort (botocore 1.44.8: low, medium, high, xhigh, max), tool results
    with text / json / image content and status error, Claude's 5 MB image limit."""
    msgs = [{"role": "user", "content": [{"text": "What are your opening hours?"}]}]
    opus45 = "us.anthropic.claude-opus-4-5-20251101-v1:0"
    check(c.converse(modelId=opus45, messages=msgs, outputConfig={"effort": "low"})["stopReason"] == "end_turn",
          "outputConfig.effort low on Opus 4.5")
    check(c.converse(modelId="global.anthropic.claude-opus-4-7", messages=msgs,
                     outputConfig={"effort": "xhigh"})["stopReason"] == "end_turn", "outputConfig.effort xhigh on Opus 4.7")
    # Opus 4.5 takes low/medium/high only (Bedrock's text: coder/coder#25356).
    status, code, msg = error(lambda: c.converse(modelId=opus45, messages=msgs, outputConfig={"effort": "max"}))
    check((status, code, msg) == (400, "ValidationException", "The model returned the following errors: "
                                  "output_config.effort: Input should be 'low', 'medium' or 'high'"),
          "outputConfig.effort max on Opus 4.5: " + msg)
    body = json.dumps({"anthropic_version": "bedrock-2023-05-31", "max_tokens": 50, "output_config": {"effort": "xhigh"},
                       "messages": [{"role": "user", "content": "hi"}]})
    status, code, msg = error(lambda: c.invoke_model(modelId=opus45, body=body))
    check((status, code, msg) == (400, "ValidationException",
                                  "output_config.effort: Input should be 'low', 'medium' or 'high'"),
          "invoke_model output_config.effort xhigh on Opus 4.5: " + msg)

    tools = {"tools": [WEATHER_TOOL]}
    gpt = "openai.gpt-oss-120b-1:0"
    png = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==")
    # The assistant turn as a client replays it (a model's own tool use is not needed here).
    turn = msgs + [{"role": "assistant", "content": [{"toolUse": {"toolUseId": "tooluse_round8", "name": "get_weather",
                                                                  "input": {"city": "Paris"}}}]}]
    for model in (HAIKU, "us.amazon.nova-pro-v1:0", gpt):
        def result(content, status=None, m=model):
            block = {"toolUseId": "tooluse_round8", "content": content}
            if status:
                block["status"] = status
            return c.converse(modelId=m, messages=turn + [{"role": "user", "content": [{"toolResult": block}]}],
                              toolConfig=tools)

        # `status` is documented for Nova and Claude only (what the others answer is not known).
        check(result([{"text": "No forecast for that city."}], "error" if model != gpt else None)["stopReason"]
              == "end_turn", f"{model}: tool result with an error text answered")
        check(result([{"json": {"celsius": 21}}, {"text": "and sunny"}])["stopReason"] == "end_turn",
              f"{model}: tool result with json and text content")
        image = [{"image": {"format": "png", "source": {"bytes": png}}}]
        if model == gpt:
            # Only Claude and Nova take an image in a tool result (botocore's ToolResultContentBlock);
            # Bedrock's text for the others: can1357/oh-my-pi#11685.
            status, code, msg = error(lambda: result(image))
            check((status, code, msg) == (400, "ValidationException", "This model doesn't support the image field "
                                          "for user messages. Remove image and try again."),
                  "gpt-oss: image in a tool result refused: " + msg)
        else:
            check(result(image)["stopReason"] == "end_turn", f"{model}: tool result with an image")
    # An image over 5 MB of base64 (3.75 MB of bytes), counted as Claude counts it (aws/aws-sdk-js-v3#6785;
    # the path as measured in 2026: accelerated-intelligent-document-processing-on-aws#778).
    raw = png + b"\0" * (3_932_161 - len(png))
    big = [{"role": "user", "content": [{"text": "What is this?"}, {"image": {"format": "png", "source": {"bytes": raw}}}]}]
    status, code, msg = error(lambda: c.converse(modelId=HAIKU, messages=big))
    n = len(base64.b64encode(raw))
    check((status, code, msg) == (400, "ValidationException", "The model returned the following errors: messages.0."
                                  f"content.1.image.source.bytes: image exceeds 5 MB maximum: {n} bytes > 5242880 bytes"),
          "a 3.75 MB image: " + msg[:90])
    # A PNG sent as `jpeg`: Claude checks the bytes, Bedrock passes its text through
    # (aws-samples/amazon-bedrock-client-for-mac#130); the right label is served.
    labelled = lambda fmt: [{"role": "user", "content": [
        {"text": "What is this?"}, {"image": {"format": fmt, "source": {"bytes": png}}}]}]
    status, code, msg = error(lambda: c.converse(modelId=HAIKU, messages=labelled("jpeg")))
    check((status, code, msg) == (400, "ValidationException", "The model returned the following errors: messages.0."
                                  "content.1.image.source.bytes: The image was specified using the image/jpeg media "
                                  "type, but the image appears to be a image/png image"), "a PNG labelled jpeg: " + msg)
    check(c.converse(modelId=HAIKU, messages=labelled("png"))["stopReason"] == "end_turn", "the PNG labelled png: served")
    # `jpg` is no Converse format: the service model's enum (hermes-agent#55429 measured it refused).
    status, code, msg = error(lambda: c.converse(modelId=HAIKU, messages=labelled("jpg")))
    check((status, code) == (400, "ValidationException") and msg.endswith(
        "Value 'jpg' at 'messages.1.member.content.2.member.image.format' failed to satisfy constraint: "
        "Member must satisfy enum value set: [png, jpeg, gif, webp]"), "format jpg: " + msg)
    # Claude's dimension limits (Anthropic's vision page: 8000x8000 px, 2000x2000 px with more than
    # 20 images); Bedrock measured 29 images at 2,001 px refused, 2,000 px served
    # (accelerated-intelligent-document-processing-on-aws#994; its prefix and path unconfirmed).
    many = lambda n, w: [{"role": "user", "content": [{"text": "Compare these pages."}] + [
        {"image": {"format": "png", "source": {"bytes": png_image(w, 2)}}} for _ in range(n)]}]
    status, code, msg = error(lambda: c.converse(modelId=HAIKU, messages=many(21, 2001)))
    check((status, code) == (400, "ValidationException") and msg.endswith(
        "exceed max allowed size for many-image requests: 2000 pixels"), "21 images of 2,001 px: " + msg[-90:])
    check(c.converse(modelId=HAIKU, messages=many(21, 2000))["stopReason"] == "end_turn", "21 images of 2,000 px: served")
    check(c.converse(modelId=HAIKU, messages=many(20, 2001))["stopReason"] == "end_turn", "20 images of 2,001 px: served")
    status, code, msg = error(lambda: c.converse(modelId=HAIKU, messages=many(1, 8001)))
    check((status, code) == (400, "ValidationException") and msg.endswith(
        "messages.0.content.1.image.source.bytes: At least one of the image dimensions exceed max allowed size: 8000 pixels"),
          "an image 8,001 px wide: " + msg[-80:])
    # Claude takes 100 images per request (Anthropic's vision page); its text counts images and
    # documents (openclaw/openclaw#13202; through Bedrock, kirodotdev/Kiro#9629; prefix unconfirmed).
    status, code, msg = error(lambda: c.converse(modelId=HAIKU, messages=many(101, 20)))
    check((status, code) == (400, "ValidationException") and msg.endswith("too many images and documents: 101 + 0 > 100"),
          "101 images: " + msg)
    check(c.converse(modelId=HAIKU, messages=many(100, 20))["stopReason"] == "end_turn", "100 images: served")



def usage_keys(c):
    """Converse usage as Bedrock sends it (agentjido/req_llm fixtures amazon_bedrock/
    anthropic_claude_haiku_4_5_20251001_v1_0/*.json, commit 19748e930d0c6049d1b42196f8cb1a4915638967):
    cacheReadInputTokens always and cacheWriteInputTokens only when written (Converse); no cache key in
    the stream metadata when nothing is cached, all of them after a cache hit."""
    sonnet = "global.anthropic.claude-sonnet-4-6"
    msgs = [{"role": "user", "content": [{"text": "hi"}]}]
    u = c.converse(modelId=sonnet, messages=msgs)["usage"]
    check(u.get("cacheReadInputTokens") == 0 and "cacheWriteInputTokens" not in u and "cacheDetails" not in u,
          f"converse, nothing cached: read key 0, no write key {u}")
    events = list(c.converse_stream(modelId=sonnet, messages=msgs)["stream"])
    m = events[-1]["metadata"]["usage"]
    check("cacheReadInputTokens" not in m and "cacheWriteInputTokens" not in m,
          f"converse_stream, nothing cached: no cache key {m}")
    system = [{"text": "Usage-key policy text. " * 300}, {"cachePoint": {"type": "default"}}]
    u = c.converse(modelId=sonnet, system=system, messages=msgs)["usage"]
    check(u["cacheWriteInputTokens"] > 1024 and u["cacheReadInputTokens"] == 0
          and u["cacheDetails"] == [{"inputTokens": u["cacheWriteInputTokens"], "ttl": "5m"}],
          f"converse, written: write key, read key 0, cacheDetails {u}")
    u = c.converse(modelId=sonnet, system=system, messages=msgs)["usage"]
    check(u["cacheReadInputTokens"] > 1024 and "cacheWriteInputTokens" not in u and "cacheDetails" not in u,
          f"converse, read: no write key {u}")
    events = list(c.converse_stream(modelId=sonnet, system=system, messages=msgs)["stream"])
    m = events[-1]["metadata"]["usage"]
    check(m["cacheReadInputTokens"] > 1024 and m["cacheWriteInputTokens"] == 0,
          f"converse_stream, read: both cache keys, write 0 {m}")


def invoke_model(c):
    body = {"anthropic_version": "bedrock-2023-05-31", "max_tokens": 300, "system": "Be brief.",
            "messages": [{"role": "user", "content": "What are your opening hours?"}]}
    r = c.invoke_model(modelId=HAIKU, body=json.dumps(body), contentType="application/json", accept="application/json")
    out = json.loads(r["body"].read())
    headers = r["ResponseMetadata"]["HTTPHeaders"]
    check(out["type"] == "message" and out["role"] == "assistant" and out["content"][0]["type"] == "text"
          and out["stop_reason"] == "end_turn" and out["id"].startswith("msg_bdrk_"), "invoke_model: a Messages reply")
    check(int(headers["x-amzn-bedrock-input-token-count"]) == out["usage"]["input_tokens"]
          and int(headers["x-amzn-bedrock-output-token-count"]) == out["usage"]["output_tokens"],
          "invoke_model token-count headers match the body's usage")
    tool = {"name": "get_weather", "description": "Get the weather forecast for a city",
            "input_schema": WEATHER_TOOL["toolSpec"]["inputSchema"]["json"]}
    body = dict(body, tools=[tool], tool_choice={"type": "any"},
                messages=[{"role": "user", "content": "Weather in Paris?"}])
    out = json.loads(c.invoke_model(modelId=HAIKU, body=json.dumps(body))["body"].read())
    use = [b for b in out["content"] if b["type"] == "tool_use"]
    check(out["stop_reason"] == "tool_use" and use and use[0]["name"] == "get_weather"
          and use[0]["id"].startswith("toolu_bdrk_"), "invoke_model tool_use")
    chunks = [json.loads(ch["chunk"]["bytes"]) for ch in
              c.invoke_model_with_response_stream(modelId=HAIKU, body=json.dumps(body))["body"]]
    partial = "".join(ch["delta"]["partial_json"] for ch in chunks
                      if ch["type"] == "content_block_delta" and ch["delta"]["type"] == "input_json_delta")
    metrics = chunks[-1]["amazon-bedrock-invocationMetrics"]
    check("city" in json.loads(partial) and metrics["outputTokenCount"] > 0,
          "invoke stream: input_json_delta and invocation metrics")
    nova = {"schemaVersion": "messages-v1", "messages": [{"role": "user", "content": [{"text": "Weather in Paris?"}]}],
            "toolConfig": {"tools": [WEATHER_TOOL], "toolChoice": {"any": {}}}, "inferenceConfig": {"maxTokens": 200}}
    out = json.loads(c.invoke_model(modelId="us.amazon.nova-micro-v1:0", body=json.dumps(nova))["body"].read())
    use = out["output"]["message"]["content"][0]["toolUse"]
    check(out["stopReason"] == "tool_use" and use["name"] == "get_weather" and use["input"]["city"] == "Paris",
          "invoke_model on Nova Micro: native (Converse-schema) body and reply")
    chunks = [json.loads(ch["chunk"]["bytes"]) for ch in
              c.invoke_model_with_response_stream(modelId="us.amazon.nova-micro-v1:0", body=json.dumps(nova))["body"]]
    check("messageStart" in chunks[0] and "metadata" in chunks[-1]
          and chunks[-1]["amazon-bedrock-invocationMetrics"]["outputTokenCount"] > 0,
          "invoke stream on Nova: one Converse event per chunk, metrics on the last")
    # Nova takes documents on Converse only (AWS's Nova user guide, "Using the Invoke API").
    with_doc = {"messages": [{"role": "user", "content": [
        {"text": "Summarise."}, {"document": {"name": "notes", "format": "txt", "source": {"bytes": "T3BlbiA5IHRvIDYu"}}}]}]}
    status, code, msg = error(lambda: c.invoke_model(modelId="us.amazon.nova-lite-v1:0", body=json.dumps(with_doc)))
    check((status, code) == (400, "ValidationException") and "Converse only" in msg,
          "invoke_model on Nova with a document block: refused")
    # Nova's additionalModelRequestFields: its inferenceConfig (topK) passes, other keys are the
    # model's JSON-schema error (BerriAI/litellm#9128).
    ask = [{"role": "user", "content": [{"text": "Hello"}]}]
    check(c.converse(modelId="us.amazon.nova-lite-v1:0", messages=ask,
                     additionalModelRequestFields={"inferenceConfig": {"topK": 20}})["stopReason"] == "end_turn",
          "converse on Nova with additionalModelRequestFields inferenceConfig.topK")
    status, code, msg = error(lambda: c.converse(modelId="us.amazon.nova-lite-v1:0", messages=ask,
                                                 additionalModelRequestFields={"performanceConfig": {}}))
    check(msg == "The model returned the following errors: Malformed input request: #: extraneous key "
          "[performanceConfig] is not permitted, please reformat your input and try again.",
          "converse on Nova with an unknown additional field: " + msg)
    status, code, msg = error(lambda: c.invoke_model(modelId=HAIKU, body=json.dumps({"max_tokens": 5})))
    check((status, code) == (400, "ValidationException") and msg.startswith("Malformed input request: #: required key"),
          "invoke_model missing keys: " + msg)
    # Two user turns in a row in an Anthropic body: InvokeModel answers in Anthropic's words with no
    # prefix (botocore's text in Giskard-AI/giskard-oss#1933 and aws-samples/alexa-and-bedrock-integration#1);
    # Converse keeps Bedrock's own sentence.
    twice = {"anthropic_version": "bedrock-2023-05-31", "max_tokens": 50,
             "messages": [{"role": "user", "content": "Hi"}, {"role": "user", "content": "Are you open?"}]}
    status, code, msg = error(lambda: c.invoke_model(modelId=HAIKU, body=json.dumps(twice)))
    check((status, code, msg) == (400, "ValidationException", 'messages: roles must alternate between "user" and '
                                  '"assistant", but found multiple "user" roles in a row'), "invoke_model user, user: " + msg)
    status, code, msg = error(lambda: c.converse(modelId=HAIKU, messages=[
        {"role": "user", "content": [{"text": "Hi"}]}, {"role": "user", "content": [{"text": "Are you open?"}]}]))
    check(msg.startswith("A conversation must alternate between user and assistant roles."), "converse user, user: " + msg)
    # Meta Llama's native body and reply (AWS user guide, model-parameters-meta).
    llama = "us.meta.llama3-3-70b-instruct-v1:0"
    r = c.invoke_model(modelId=llama, body=json.dumps({"prompt": "What are your opening hours?", "max_gen_len": 3}))
    out = json.loads(r["body"].read())
    headers = r["ResponseMetadata"]["HTTPHeaders"]
    check(out["stop_reason"] == "length" and out["generation_token_count"] == 3 and out["generation"]
          and int(headers["x-amzn-bedrock-output-token-count"]) == 3
          and int(headers["x-amzn-bedrock-input-token-count"]) == out["prompt_token_count"],
          f"invoke_model on Llama 3.3: generation, counts, stop_reason length ({out})")
    chunks = [json.loads(ch["chunk"]["bytes"]) for ch in
              c.invoke_model_with_response_stream(modelId=llama, body=json.dumps({"prompt": "Hi"}))["body"]]
    check(chunks[-1]["stop_reason"] == "stop" and all(ch["stop_reason"] is None for ch in chunks[:-1])
          and chunks[-1]["amazon-bedrock-invocationMetrics"]["outputTokenCount"] == chunks[-1]["generation_token_count"],
          "invoke stream on Llama: generation chunks, stop_reason and metrics on the last")
    status, code, msg = error(lambda: c.invoke_model(modelId=llama, body=json.dumps({"prompt": "Hi", "max_tokens": 5})))
    check(msg == "Malformed input request: #: extraneous key [max_tokens] is not permitted, please reformat your "
          "input and try again.", "an Anthropic key in a Llama body: " + msg)
    # Forced tool choices per model family (strands-agents/harness-sdk#1241): Llama takes auto only,
    # Mistral Large auto and any, Claude and Nova all three.
    ask = [{"role": "user", "content": [{"text": "What's the weather forecast in Paris?"}]}]
    for model, choice, ok in [(llama, "any", False), (llama, "tool", False), (llama, "auto", True),
                              ("mistral.mistral-large-2407-v1:0", "any", True),
                              ("mistral.mistral-large-2407-v1:0", "tool", False),
                              ("us.amazon.nova-lite-v1:0", "tool", True), (HAIKU, "any", True)]:
        tool_choice = {"tool": {"name": "get_weather"}} if choice == "tool" else {choice: {}}
        call = lambda: c.converse(modelId=model, messages=ask,
                                  toolConfig={"tools": [WEATHER_TOOL], "toolChoice": tool_choice})
        if ok:
            check(call()["stopReason"] == "tool_use", f"toolChoice {choice} on {model}: served")
        else:
            status, code, msg = error(call)
            check((status, code, msg) == (400, "ValidationException", f"This model doesn't support the "
                                          f"toolConfig.toolChoice.{choice} field. Remove toolConfig.toolChoice."
                                          f"{choice} and try again."), f"toolChoice {choice} on {model}: " + msg)


def errors_and_retries(emu):
    cases = [  # fault, status, code, botocore retries it (standard mode)
        ("ThrottlingException", 429, "ThrottlingException", True),
        ("ModelNotReadyException", 429, "ModelNotReadyException", True),  # modeled retryable
        ("ServiceUnavailableException", 503, "ServiceUnavailableException", True),
        ("InternalServerException", 500, "InternalServerException", True),
        ("AccessDeniedException", 403, "AccessDeniedException", False),
        ("ResourceNotFoundException", 404, "ResourceNotFoundException", False),
        ("ValidationException", 400, "ValidationException", False),
        ("ModelTimeoutException", 408, "ModelTimeoutException", False),
        ("ModelErrorException", 424, "ModelErrorException", False),
    ]
    retrying = client(emu.url, aws_access_key_id=ACCESS_KEY_ID, aws_secret_access_key=SECRET_ACCESS_KEY,
                      config=Config(retries={"total_max_attempts": 2, "mode": "standard"}))
    msgs = [{"role": "user", "content": [{"text": "Hello"}]}]
    for fault, status, code, retried in cases:
        emu.admin("faults", f"error={fault},message=injected {fault}")
        before = emu.admin("counters")["total_requests"]
        try:
            retrying.converse(modelId=HAIKU, messages=msgs)
            raise AssertionError(fault + " succeeded")
        except ClientError as e:
            modeled = getattr(retrying.exceptions, code)
            attempts = emu.admin("counters")["total_requests"] - before - 1
            check(isinstance(e, modeled) and e.response["Error"]["Message"] == f"injected {fault}"
                  and e.response["ResponseMetadata"]["HTTPStatusCode"] == status
                  and attempts == (2 if retried else 1),
                  f"{fault}: {status}, {type(e).__name__}, {attempts} attempt(s)")
            if status == 429:
                # Bedrock's 429 carries no Retry-After (a captured response's headers:
                # epam/ai-dial-adapter-bedrock#371), so clients back off on their own.
                headers = e.response["ResponseMetadata"]["HTTPHeaders"]
                check("retry-after" not in headers and headers["x-amzn-requestid"],
                      f"{fault}: no Retry-After header, an x-amzn-RequestId")
    # Throttling that clears: the retry succeeds.
    # (every 2nd request throttled: of two calls, one needs one retry.)
    emu.admin("faults", "throttle=0.5")
    outs = [retrying.converse(modelId=HAIKU, messages=msgs) for _ in range(2)]
    check(sorted(o["ResponseMetadata"]["RetryAttempts"] for o in outs) == [0, 1]
          and all(o["stopReason"] == "end_turn" for o in outs), "a throttled call retried once succeeds")
    emu.admin("faults", "none")
    # Mid-stream exceptions arrive as the modeled exception from the event stream.
    emu.admin("faults", "exception=throttlingException@2")
    c = client(emu.url, aws_access_key_id=ACCESS_KEY_ID, aws_secret_access_key=SECRET_ACCESS_KEY)
    try:
        list(c.converse_stream(modelId=HAIKU, messages=msgs)["stream"])
        raise AssertionError("mid-stream throttling not raised")
    except botocore.exceptions.EventStreamError as e:
        check(e.response["Error"]["Code"] == "throttlingException", "mid-stream throttlingException (camelCase, as Bedrock)")
    emu.admin("faults", "none")
    unsigned = client(emu.url, aws_access_key_id=ACCESS_KEY_ID, aws_secret_access_key="wrong-secret")
    status, code, msg = error(lambda: unsigned.converse(modelId=HAIKU, messages=msgs))
    check((status, code) == (403, "InvalidSignatureException") and msg.startswith("The request signature we calculated"),
          "wrong secret: InvalidSignatureException")


def server_side_validation(emu):
    """botocore's own validation off: what Bedrock's server says about a bad request."""
    raw = client(emu.url, aws_access_key_id=ACCESS_KEY_ID, aws_secret_access_key=SECRET_ACCESS_KEY,
                 config=Config(parameter_validation=False, retries={"total_max_attempts": 1}))
    ok = [{"role": "user", "content": [{"text": "Hi"}]}]
    cases = [
        (dict(messages=ok, inferenceConfig={"maxTokens": 0}), "ValidationException",
         "1 validation error detected: Value '0' at 'inferenceConfig.maxTokens' failed to satisfy constraint: "
         "Member must have value greater than or equal to 1"),
        (dict(messages=[{"role": "bot", "content": [{"text": "Hi"}]}], inferenceConfig={"temperature": 1.5}),
         "ValidationException",
         "2 validation errors detected: Value 'bot' at 'messages.1.member.role' failed to satisfy constraint: "
         "Member must satisfy enum value set: [user, assistant, system]; Value '1.5' at 'inferenceConfig.temperature' "
         "failed to satisfy constraint: Member must have value less than or equal to 1"),
        (dict(messages=[{"role": "user"}]), "ValidationException",
         "1 validation error detected: Value null at 'messages.1.member.content' failed to satisfy constraint: "
         "Member must not be null"),
        (dict(messages=ok, toolConfig={"tools": [{"toolSpec": {"name": "x" * 65, "inputSchema": {"json": {}}}}]}),
         "ValidationException",
         f"1 validation error detected: Value '{'x' * 65}' at 'toolConfig.tools.1.member.toolSpec.name' failed to "
         "satisfy constraint: Member must have length less than or equal to 64"),
        (dict(messages=ok, inferenceConfig={"stopSequences": ["s"] * 2501}), "ValidationException",
         None),
        (dict(messages=ok, inferenceConfig={"maxTokens": "ten"}), "SerializationException",
         "STRING_VALUE can not be converted to an Integer"),
        (dict(messages=[{"role": "user", "content": [{"text": "Hi", "cachePoint": {"type": "default"}}]}]),
         "SerializationException", "The union ContentBlock at 'messages.1.member.content.1.member' has 2 members "
         "set (cachePoint, text); exactly one is allowed."),
    ]
    for kwargs, code, message in cases:
        _, got_code, got = error(lambda: raw.converse(modelId=HAIKU, **kwargs))
        check(got_code == code and (message is None or got == message)
              and (message is not None or "Member must have length less than or equal to 2500" in got),
              f"server-side {code}: {got[:110]}")
    # Members botocore does not know are ignored by Bedrock, as JSON protocols require.
    def add_member(request, **_):
        body = json.loads(request.data)
        body["futureMember"] = {"x": 1}
        body["messages"][0]["futureMember"] = 1
        request.data = json.dumps(body).encode()

    raw.meta.events.register("before-sign.bedrock-runtime.Converse", add_member)
    check(raw.converse(modelId=HAIKU, messages=ok)["stopReason"] == "end_turn", "unknown member ignored")


def service_tiers(c):
    """serviceTier / performanceConfig (botocore's ConverseRequest and InvokeModel headers):
    what NousResearch/hermes-agent#34476 measured on Bedrock, row by row. AWS's service-tiers
    page: "The service tier configuration for a served request is visible in API response"."""
    msgs = [{"role": "user", "content": [{"text": "Hi"}]}]
    for tier in ("default", "flex", "priority"):
        out = c.converse(modelId=HAIKU, messages=msgs, serviceTier={"type": tier})
        check(out["serviceTier"] == {"type": tier}, f"serviceTier={tier}: served, echoed")
    out = c.converse(modelId=HAIKU, messages=msgs)
    check("serviceTier" not in out and "performanceConfig" not in out, "no tier asked: none echoed")
    out = c.converse(modelId=HAIKU, messages=msgs, serviceTier={"type": "flex"},
                     performanceConfig={"latency": "optimized"})
    check((out["serviceTier"], out["performanceConfig"]) == ({"type": "flex"}, {"latency": "optimized"}),
          "flex + optimized together: both echoed")
    # botocore checks no enum values: these reach the server.
    check(error(lambda: c.converse(modelId=HAIKU, messages=msgs, serviceTier={"type": "reserved"}))
          == (400, "ValidationException", "Reservation not found."), "serviceTier=reserved without a reservation")
    check(error(lambda: c.converse(modelId=HAIKU, messages=msgs, serviceTier={"type": "cheapest"}))
          == (400, "ValidationException", "service tier provided is invalid"), "serviceTier=cheapest")
    status, code, msg = error(lambda: c.converse(modelId=HAIKU, messages=msgs, performanceConfig={"latency": "turbo"}))
    check((status, code) == (400, "ValidationException")
          and msg.endswith("must satisfy enum value set: [optimized, standard]"), "latency=turbo: " + msg)
    events = list(c.converse_stream(modelId=HAIKU, messages=msgs, serviceTier={"type": "flex"},
                                    performanceConfig={"latency": "optimized"})["stream"])
    meta = events[-1]["metadata"]
    check((meta["serviceTier"], meta["performanceConfig"]) == ({"type": "flex"}, {"latency": "optimized"}),
          "converse_stream metadata echoes both")
    body = json.dumps({"anthropic_version": "bedrock-2023-05-31", "max_tokens": 20,
                       "messages": [{"role": "user", "content": "hi"}]})
    out = c.invoke_model(modelId=HAIKU, body=body, serviceTier="priority", performanceConfigLatency="optimized")
    check((out["serviceTier"], out["performanceConfigLatency"]) == ("priority", "optimized"),
          "invoke_model: serviceTier / performanceConfigLatency response headers")
    # The header is the service model's enum, as Converse's member (Bedrock lists it [optimized, standard]:
    # NousResearch/hermes-agent#34476).
    status, code, msg = error(lambda: c.invoke_model(modelId=HAIKU, body=body, performanceConfigLatency="fast"))
    check((status, code, msg) == (400, "ValidationException", "1 validation error detected: Value 'fast' at "
                                  "'performanceConfigLatency' failed to satisfy constraint: Member must satisfy enum "
                                  "value set: [optimized, standard]"), "invoke_model performanceConfigLatency fast: " + msg)
    out = c.invoke_model_with_response_stream(modelId=HAIKU, body=body, serviceTier="flex")
    list(out["body"])
    check(out["serviceTier"] == "flex" and "performanceConfigLatency" not in out,
          "invoke_model_with_response_stream: serviceTier header")

    # projectIdentifier: bedrock-runtime serves the account's default project only (AWS's
    # Projects page); another project does not exist here (the emulator's message).
    check(c.converse(modelId=HAIKU, messages=msgs, projectIdentifier="default")["stopReason"] == "end_turn"
          and c.converse(modelId=HAIKU, messages=msgs, projectIdentifier="arn:aws:bedrock:us-east-1:123456789012:"
                         "project/default")["stopReason"] == "end_turn", "projectIdentifier default (id or ARN)")
    check(error(lambda: c.converse(modelId=HAIKU, messages=msgs, projectIdentifier="proj_abc123"))
          == (400, "ValidationException", "The project proj_abc123 does not exist in this account.")
          and error(lambda: c.invoke_model(modelId=HAIKU, body=body, projectIdentifier="proj_abc123"))[1]
          == "ValidationException", "projectIdentifier of another project: refused (Converse body, InvokeModel header)")
    # promptVariables without a prompt ARN as modelId: "ignored" (botocore's documentation).
    out = c.converse(modelId=HAIKU, messages=msgs, promptVariables={"name": {"text": "Ada"}})
    check(out["stopReason"] == "end_turn", "promptVariables on a model id: ignored")


def citations(c):
    """A document with citations enabled (DocumentBlock.citations): the answer opens with a
    citationsContent block, as Bedrock answers Claude (the keys of agentjido/req_llm's
    recorded fixtures); text documents are cited by character offsets."""
    text = "Our front desk opens at 8:30 on weekdays. Saturdays are by appointment."

    def ask(cite, **source):
        doc = {"name": "front desk notes", "format": "txt", "source": source or {"bytes": text.encode()}}
        if cite is not None:
            doc["citations"] = {"enabled": cite}
        return [{"role": "user", "content": [{"text": "When does the desk open?"}, {"document": doc}]}]

    out = c.converse(modelId=HAIKU, messages=ask(True))
    content = out["output"]["message"]["content"]
    first = content[0].get("citationsContent", {})
    cited = "Our front desk opens at 8:30 on weekdays."
    check(first.get("content") == [{"text": cited}]
          and first.get("citations") == [{"title": "front desk notes", "sourceContent": [{"text": cited}],
                                          "location": {"documentChar": {"documentIndex": 0, "start": 0,
                                                                        "end": len(cited)}}}]
          and content[1]["text"].startswith(" "), "converse: a citationsContent block, then the text")
    check(c.converse(modelId=HAIKU, messages=ask(True, text=text))["output"]["message"]["content"][0]
          ["citationsContent"]["citations"][0]["sourceContent"] == [{"text": cited}],
          "a source.text document is cited too")
    for cite in (False, None):
        content = c.converse(modelId=HAIKU, messages=ask(cite))["output"]["message"]["content"]
        check(all("citationsContent" not in b for b in content), f"citations {cite}: no citationsContent")
    events = list(c.converse_stream(modelId=HAIKU, messages=ask(True))["stream"])
    deltas = [e["contentBlockDelta"] for e in events if "contentBlockDelta" in e]
    streamed = "".join(d["delta"].get("text", "") for d in deltas if d["contentBlockIndex"] == 0)
    check(deltas[0]["delta"].get("citation", {}).get("title") == "front desk notes" and streamed == cited,
          "converse_stream: a citation delta, then the cited block's text")


if __name__ == "__main__":
    main()
