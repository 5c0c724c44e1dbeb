"""The AWS CLI (v1, `aws bedrock-runtime ...`) against the emulator, as against Bedrock Runtime.

ApplyGuardrail, ListAsyncInvokes and the `bedrock` control plane (`aws bedrock ...`) are checked too. The CLI does not support Bedrock's streaming operations (AWS's ConverseStream reference: "The CLI
doesn't support streaming operations in Amazon Bedrock, including ConverseStream."), so only
Converse and InvokeModel are checked. Run through run.sh (which puts `aws` in the venv).
"""

import json
import os
import subprocess
import sys
import tempfile

from emulator import ACCESS_KEY_ID, SECRET_ACCESS_KEY, Emulator, check

HAIKU = "us.anthropic.claude-haiku-4-5-20251001-v1:0"
AWS = os.path.join(os.path.dirname(sys.executable), "aws")
ANSWER = "We open at 9:00 a.m. sharp."


def aws(emu, *args, env=None, service="bedrock-runtime"):
    e = dict(os.environ, AWS_ACCESS_KEY_ID=ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY=SECRET_ACCESS_KEY,
             AWS_DEFAULT_REGION="us-east-1", AWS_CONFIG_FILE=os.devnull, AWS_SHARED_CREDENTIALS_FILE=os.devnull,
             AWS_MAX_ATTEMPTS="1", AWS_RETRY_MODE="standard")
    e.update(env or {})
    e.pop("AWS_PROFILE", None)
    p = subprocess.run([sys.executable, AWS, service, *args, "--endpoint-url", emu.url], env=e,
                       capture_output=True, text=True, timeout=60)
    return p.returncode, p.stdout, p.stderr


def main():
    with tempfile.TemporaryDirectory() as d:
        guardrails = os.path.join(d, "guardrails.json")
        with open(guardrails, "w") as f:
            json.dump([{"id": "gr7abc", "blocked_input_messaging": "Not on this line."}], f)
        with Emulator("--guardrails", guardrails) as emu:
            run(emu, d)


def run(emu, d):
    print(subprocess.run([sys.executable, AWS, "--version"], capture_output=True, text=True).stdout.strip())
    emu.admin("rules", json.dumps([{"prompt_contains": "opening hours", "reply": ANSWER}]))
    msgs = json.dumps([{"role": "user", "content": [{"text": "What are your opening hours?"}]}])
    rc, out, err = aws(emu, "converse", "--model-id", HAIKU, "--messages", msgs,
                       "--system", json.dumps([{"text": "You are a front desk."}]),
                       "--inference-config", json.dumps({"maxTokens": 200, "temperature": 0.3}))
    check(rc == 0, "aws bedrock-runtime converse: " + err)
    r = json.loads(out)
    check(r["output"]["message"]["content"] == [{"text": ANSWER}] and r["stopReason"] == "end_turn"
          and r["usage"]["outputTokens"] == -(-len(ANSWER) // 4), "converse output, stop reason and usage")

    tools = os.path.join(d, "tools.json")
    with open(tools, "w") as f:
        json.dump({"tools": [{"toolSpec": {"name": "book_slot", "description": "Book an appointment slot",
                                           "inputSchema": {"json": {"type": "object", "properties": {
                                               "date": {"type": "string"}}, "required": ["date"]}}}}],
                   "toolChoice": {"any": {}}}, f)
    book = json.dumps([{"role": "user", "content": [{"text": "Book me in for a cleaning"}]}])
    rc, out, err = aws(emu, "converse", "--model-id", HAIKU, "--messages", book, "--tool-config", "file://" + tools)
    use = [b["toolUse"] for b in json.loads(out)["output"]["message"]["content"] if "toolUse" in b] if rc == 0 else []
    check(use and use[0]["name"] == "book_slot" and "date" in use[0]["input"], "converse --tool-config file://: " + err)

    body = os.path.join(d, "body.json")
    with open(body, "w") as f:
        json.dump({"anthropic_version": "bedrock-2023-05-31", "max_tokens": 100,
                   "messages": [{"role": "user", "content": "What are your opening hours?"}]}, f)
    outfile = os.path.join(d, "out.json")
    rc, out, err = aws(emu, "invoke-model", "--model-id", HAIKU, "--body", "fileb://" + body,
                       "--content-type", "application/json", outfile)
    check(rc == 0 and json.loads(out)["contentType"] == "application/json", "invoke-model --body fileb://: " + err)
    with open(outfile) as f:
        reply = json.load(f)
    check(reply["content"][0]["text"] == ANSWER and reply["stop_reason"] == "end_turn", "invoke-model outfile")

    rc, out, err = aws(emu, "converse", "--model-id", "anthropic.claude-sonnet-4-5-20250929-v1:0",
                       "--messages", msgs)
    check(rc == 255 and "An error occurred (ValidationException) when calling the Converse operation" in err
          and "Invocation of model ID anthropic.claude-sonnet-4-5-20250929-v1:0 with on-demand throughput" in err,
          "profile-only model: exit 255 (CLI v1), " + err.strip()[-150:])
    emu.admin("faults", "error=ThrottlingException")
    before = emu.admin("counters")["total_requests"]
    rc, out, err = aws(emu, "converse", "--model-id", HAIKU, "--messages", msgs, env={"AWS_MAX_ATTEMPTS": "2"})
    attempts = emu.admin("counters")["total_requests"] - before - 1
    check(rc == 255 and "(ThrottlingException)" in err and "reached max retries: 1" in err and attempts == 2,
          f"throttling retried by the CLI ({attempts} attempts): " + err.strip()[:90])
    emu.admin("faults", "none")
    # Service tiers: the shorthand structure on converse, the header parameter on invoke-model;
    # both come back in the output (AWS's service-tiers page: visible in the API response).
    rc, out, err = aws(emu, "converse", "--model-id", HAIKU, "--messages", msgs, "--service-tier", "type=flex",
                       "--performance-config", "latency=optimized",
                       "--query", "[serviceTier.type, performanceConfig.latency]", "--output", "text")
    check(rc == 0 and out.split() == ["flex", "optimized"], "converse --service-tier type=flex --query: " + err)
    rc, out, err = aws(emu, "invoke-model", "--model-id", HAIKU, "--body", "fileb://" + body,
                       "--service-tier", "priority", outfile, "--query", "serviceTier", "--output", "text")
    check(rc == 0 and out.strip() == "priority", "invoke-model --service-tier priority: " + err)
    # The latency header parameter: the service model's enum (Bedrock lists it [optimized, standard],
    # NousResearch/hermes-agent#34476).
    rc, out, err = aws(emu, "invoke-model", "--model-id", HAIKU, "--body", "fileb://" + body,
                       "--performance-config-latency", "fast", outfile)
    check(rc == 255 and "(ValidationException) when calling the InvokeModel operation" in err
          and err.strip().endswith("Member must satisfy enum value set: [optimized, standard]"),
          "invoke-model --performance-config-latency fast: exit 255")
    rc, out, err = aws(emu, "converse", "--model-id", HAIKU, "--messages", msgs, "--service-tier", "type=reserved")
    check(rc == 255 and "(ValidationException) when calling the Converse operation" in err
          and err.strip().endswith(": Reservation not found."),
          "converse --service-tier type=reserved: " + err.strip()[-60:])
    # botocore 1.44.8's outputConfig.effort, in the CLI's shorthand; Opus 4.5 takes low/medium/high
    # (Bedrock's text for max: coder/coder#25356).
    opus45 = "us.anthropic.claude-opus-4-5-20251101-v1:0"
    rc, out, err = aws(emu, "converse", "--model-id", opus45, "--messages", msgs, "--output-config", "effort=medium",
                       "--query", "stopReason", "--output", "text")
    check(rc == 0 and out.strip() == "end_turn", "converse --output-config effort=medium on Opus 4.5: " + err)
    rc, out, err = aws(emu, "converse", "--model-id", opus45, "--messages", msgs, "--output-config", "effort=max")
    check(rc == 255 and "(ValidationException) when calling the Converse operation" in err
          and err.strip().endswith("output_config.effort: Input should be 'low', 'medium' or 'high'"),
          "converse --output-config effort=max on Opus 4.5: exit 255")
    more(emu, d)


def more(emu, d):
    # CLI v1 sends a blob argument given inline as its raw bytes (v2's --cli-binary-format,
    # which would make it base64 by default, is unknown to v1).
    body = json.dumps({"anthropic_version": "bedrock-2023-05-31", "max_tokens": 100,
                       "messages": [{"role": "user", "content": "What are your opening hours?"}]})
    outfile = os.path.join(d, "inline.json")
    rc, out, err = aws(emu, "invoke-model", "--model-id", HAIKU, "--body", body, outfile)
    with open(outfile) as f:
        reply = json.load(f) if rc == 0 else {}
    check(reply.get("content", [{}])[0].get("text") == ANSWER, "invoke-model --body '<json>' (CLI v1: raw bytes): " + err)
    rc, out, err = aws(emu, "invoke-model", "--model-id", HAIKU, "--body", body, "--cli-binary-format",
                       "raw-in-base64-out", outfile)
    check(rc == 255 and "Unknown options: --cli-binary-format" in err, "--cli-binary-format is a CLI v2 option")

    emu.admin("rules", json.dumps([{"prompt_contains": "invest", "guardrail": {"on": "input", "topic": "Investments"}}]))
    content = json.dumps([{"text": {"text": "Any invest tips?"}}])
    rc, out, err = aws(emu, "apply-guardrail", "--guardrail-identifier", "gr7abc", "--guardrail-version", "DRAFT",
                       "--source", "INPUT", "--content", content)
    r = json.loads(out) if rc == 0 else {}
    check(r.get("action") == "GUARDRAIL_INTERVENED" and r["outputs"] == [{"text": "Not on this line."}],
          "aws bedrock-runtime apply-guardrail: intervened, blocked message " + err)
    rc, out, err = aws(emu, "apply-guardrail", "--guardrail-identifier", "gr7abc", "--guardrail-version", "DRAFT",
                       "--source", "INPUT", "--content", content, "--query", "action", "--output", "text")
    check(rc == 0 and out.strip() == "GUARDRAIL_INTERVENED", "apply-guardrail --query action --output text")
    emu.admin("rules", "[]")
    rc, out, err = aws(emu, "list-async-invokes")
    check(rc == 0 and json.loads(out) == {"asyncInvokeSummaries": []}, "aws bedrock-runtime list-async-invokes " + err)
    control_plane(emu)


def control_plane(emu):
    """`aws bedrock ...`: the control plane on the emulator's endpoint (signed as `bedrock`)."""
    def bedrock(*args, region="us-east-1"):
        return aws(emu, *args, service="bedrock", env={"AWS_DEFAULT_REGION": region})

    rc, out, err = bedrock("list-foundation-models", "--by-provider", "anthropic",
                           "--query", "modelSummaries[].modelId")
    ids = json.loads(out) if rc == 0 else []
    check(ids and all(i.startswith("anthropic.") for i in ids) and "anthropic.claude-sonnet-4-6" in ids,
          "aws bedrock list-foundation-models --by-provider anthropic (%d) %s" % (len(ids), err))
    rc, out, err = bedrock("list-foundation-models", "--by-inference-type", "ON_DEMAND", "--by-output-modality",
                           "TEXT", "--query", "modelSummaries[?modelId=='amazon.nova-pro-v1:0'].inferenceTypesSupported")
    check(rc == 0 and json.loads(out) == [["ON_DEMAND"]], "--by-inference-type ON_DEMAND --by-output-modality TEXT " + err)
    rc, out, err = bedrock("list-foundation-models", "--by-output-modality", "VIDEO")
    check(rc == 255 and "(ValidationException) when calling the ListFoundationModels operation" in err
          and "at 'byOutputModality' failed to satisfy constraint" in err, "--by-output-modality VIDEO: exit 255")
    rc, out, err = bedrock("get-foundation-model", "--model-identifier", "anthropic.claude-haiku-4-5-20251001-v1:0",
                           "--query", "modelDetails.[providerName, modelLifecycle.status]", "--output", "text")
    check(rc == 0 and out.split() == ["Anthropic", "ACTIVE"], "aws bedrock get-foundation-model --output text " + err)
    rc, out, err = bedrock("get-foundation-model", "--model-identifier", "anthropic.claude-0")
    check(rc == 255 and "(ValidationException) when calling the GetFoundationModel operation" in err
          and err.strip().endswith(": Could not find model with identifier anthropic.claude-0"), "get-foundation-model of an unknown id: " + err.strip()[-90:])

    rc, out, err = bedrock("list-inference-profiles", "--query", "inferenceProfileSummaries[].inferenceProfileId")
    all_ids = json.loads(out) if rc == 0 else []
    rc, out, err = bedrock("list-inference-profiles", "--page-size", "4",
                           "--query", "inferenceProfileSummaries[].inferenceProfileId")
    check(rc == 0 and len(all_ids) > 8 and json.loads(out) == all_ids,
          "list-inference-profiles --page-size 4 follows nextToken to the same %d profiles %s" % (len(all_ids), err))
    rc, out, err = bedrock("list-inference-profiles", "--max-items", "3")
    page = json.loads(out) if rc == 0 else {}
    check(len(page.get("inferenceProfileSummaries", [])) == 3 and page.get("NextToken"),
          "list-inference-profiles --max-items 3 gives a NextToken " + err)
    rc, out, err = bedrock("list-inference-profiles", "--type-equals", "APPLICATION")
    check(rc == 0 and json.loads(out) == {"inferenceProfileSummaries": []}, "--type-equals APPLICATION: none " + err)
    rc, out, err = bedrock("get-inference-profile", "--inference-profile-identifier", "eu.anthropic.claude-sonnet-4-6",
                           "--query", "[inferenceProfileArn, models[0].modelArn]", region="eu-west-1")
    arns = json.loads(out) if rc == 0 else []
    check(arns and arns[0].startswith("arn:aws:bedrock:eu-west-1:") and arns[1]
          == "arn:aws:bedrock:eu-west-1::foundation-model/anthropic.claude-sonnet-4-6",
          "get-inference-profile eu. from eu-west-1 " + err)
    rc, out, err = bedrock("get-inference-profile", "--inference-profile-identifier", "eu.anthropic.claude-sonnet-4-6")
    check(rc == 255 and "(ResourceNotFoundException) when calling the GetInferenceProfile operation" in err,
          "get-inference-profile eu. from us-east-1: not found")


if __name__ == "__main__":
    main()
