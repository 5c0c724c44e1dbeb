"""boto3 / botocore against the emulator, as against Bedrock Runtime.

Run: python3 -m venv /tmp/v && /tmp/v/bin/pip install boto3 && cargo build -p bedrock_emulator
     && /tmp/v/bin/python native/bedrock_emulator/tests/clients/check_boto3.py
"""

import json
import os
import tempfile

import boto3
import botocore
from botocore.config import Config
from botocore.exceptions import ClientError

from emulator import ACCESS_KEY_ID, API_KEY, SECRET_ACCESS_KEY, Emulator, check

HAIKU = "us.anthropic.claude-haiku-4-5-20251001-v1:0"
SONNET_45 = "anthropic.claude-sonnet-4-5-20250929-v1:0"
NO_RETRY = Config(retries={"max_attempts": 1, "mode": "standard"})


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
        bad_body = json.dumps({"anthropic_version": "bedrock-2023-05-31", "max_tokens": 10, "foo": 1,
                               "messages": [{"role": "user", "content": "hi"}]})
        status, code, msg = error(lambda: c.invoke_model(modelId=HAIKU, body=bad_body))
        check("extraneous key [foo] is not permitted" in msg, "unknown InvokeModel key: " + msg)

        if hasattr(c, "count_tokens"):
            # Claude Sonnet 4, the last runtime-countable model of AWS's table, is past EOL.
            status, code, msg = error(lambda: c.count_tokens(modelId="anthropic.claude-sonnet-4-20250514-v1:0",
                                                             input={"converse": {"messages": msgs}}))
            check((status, code) == (404, "ResourceNotFoundException") and "end of its life" in msg,
                  "count_tokens on an EOL model: " + msg)
            status, code, msg = error(lambda: c.count_tokens(modelId=HAIKU, input={"converse": {"messages": msgs}}))
            check((status, code) == (400, "ValidationException") and "doesn't support counting tokens" in msg,
                  "count_tokens on a profile: " + msg)

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


def prefill_and_guardrails():
    answer = "First we check the calendar. Then we book the slot."
    with tempfile.TemporaryDirectory() as d:
        guardrails = os.path.join(d, "guardrails.json")
        with open(guardrails, "w") as f:
            json.dump([{"id": "gr7abc", "blocked_input_messaging": "Not on this line."}], f)
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
            topic = out["trace"]["guardrail"]["inputAssessment"]["gr7abc"]["topicPolicy"]["topics"][0]
            check(out["stopReason"] == "guardrail_intervened" and topic["name"] == "Investments",
                  "guardrail intervenes with its trace")
            events = list(c.converse_stream(modelId=HAIKU, messages=ask,
                                            guardrailConfig=dict(gr, streamProcessingMode="async"))["stream"])
            check(events[-1]["metadata"]["trace"]["guardrail"]["inputAssessment"]["gr7abc"],
                  "converse_stream metadata carries the guardrail trace")
            status, code, msg = error(lambda: c.converse(modelId=HAIKU, messages=ask,
                                                         guardrailConfig=dict(gr, guardrailVersion="9")))
            check((status, code, msg) == (400, "ValidationException",
                                          "The guardrail identifier or version provided in the request does not exist."),
                  "unknown guardrail version")


if __name__ == "__main__":
    main()
