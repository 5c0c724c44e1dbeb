"""langchain-aws against the emulator: ChatBedrockConverse (Converse / ConverseStream) and
ChatBedrock (InvokeModel / InvokeModelWithResponseStream): invoke, stream, bind_tools round trip,
errors; an application inference profile resolved through the control plane (GetInferenceProfile).
The boto3 client is built here and handed in (endpoint override, test credentials)."""

import json
import logging
import os
import tempfile

import boto3
import langchain_aws
from botocore.config import Config
from botocore.exceptions import ClientError
from langchain_aws import ChatBedrock, ChatBedrockConverse
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage, ToolMessage
from pydantic import BaseModel, Field

from emulator import ACCESS_KEY_ID, SECRET_ACCESS_KEY, Emulator, check, png_image

HAIKU = "us.anthropic.claude-haiku-4-5-20251001-v1:0"
ANSWER = "We open at 9:00 a.m. sharp. See you soon."


def get_weather(city: str) -> str:
    """Get the weather forecast for a city."""
    return "Sunny, 21 degrees"


class Forecast(BaseModel):
    """A weather forecast."""

    city: str = Field(description="The city")
    days: int = Field(ge=1, le=3)


def structured(model, label, methods):
    for method in methods:
        f = model.with_structured_output(Forecast, method=method).invoke("Forecast for Paris for the next days")
        check(isinstance(f, Forecast) and f.city == "Paris" and 1 <= f.days <= 3,
              f"{label} with_structured_output({method}): {f!r}")


def round_trip(model, label):
    tooled = model.bind_tools([get_weather])
    question = HumanMessage("What's the weather forecast in Paris?")
    ai = tooled.invoke([question])
    calls = ai.tool_calls
    check(len(calls) == 1 and calls[0]["name"] == "get_weather" and isinstance(calls[0]["args"].get("city"), str),
          f"{label} bind_tools: a tool call {calls}")
    result = ToolMessage(get_weather(**calls[0]["args"]), tool_call_id=calls[0]["id"])
    final = tooled.invoke([question, ai, result])
    check(not final.tool_calls and "Sunny, 21 degrees" in final.text, f"{label} tool result answered: {final.text[:60]}")


def main():
    print("langchain-aws", langchain_aws.__version__ if hasattr(langchain_aws, "__version__") else "")
    with Emulator() as emu:
        emu.admin("rules", json.dumps([{"prompt_contains": "opening hours", "reply": ANSWER}]))
        rt = boto3.client("bedrock-runtime", region_name="us-east-1", endpoint_url=emu.url,
                          aws_access_key_id=ACCESS_KEY_ID, aws_secret_access_key=SECRET_ACCESS_KEY,
                          config=Config(retries={"total_max_attempts": 1}))
        ask = [SystemMessage("You are a front desk."), HumanMessage("What are your opening hours?")]

        converse = ChatBedrockConverse(model=HAIKU, client=rt, region_name="us-east-1", max_tokens=200,
                                       temperature=0.2)
        r = converse.invoke(ask)
        u = r.usage_metadata
        check(r.text == ANSWER and r.response_metadata["stopReason"] == "end_turn"
              and u["output_tokens"] == -(-len(ANSWER) // 4) and u["total_tokens"] == u["input_tokens"] + u["output_tokens"],
              f"ChatBedrockConverse invoke: text, stop reason, usage {u}")
        chunks = list(converse.stream(ask))
        text = "".join(c.text for c in chunks)
        usage = [c.usage_metadata for c in chunks if c.usage_metadata]
        check(text == ANSWER and len(chunks) > 3 and usage and usage[-1]["output_tokens"] == u["output_tokens"],
              f"ChatBedrockConverse stream: {len(chunks)} chunks, same text and usage")
        round_trip(converse, "ChatBedrockConverse")
        # function_calling: a forced tool; json_schema: Converse outputConfig.textFormat.
        structured(converse, "ChatBedrockConverse", ["function_calling", "json_schema"])

        invoke = ChatBedrock(model_id=HAIKU, client=rt, region_name="us-east-1",
                             model_kwargs={"max_tokens": 200, "temperature": 0.2})
        r = invoke.invoke(ask)
        check(r.text == ANSWER and r.response_metadata["stop_reason"] == "end_turn"
              and r.usage_metadata["output_tokens"] == u["output_tokens"], "ChatBedrock invoke: text, stop reason, usage")
        chunks = list(invoke.stream(ask))
        check("".join(c.text for c in chunks) == ANSWER and len(chunks) > 3, f"ChatBedrock stream: {len(chunks)} chunks")
        round_trip(invoke, "ChatBedrock")
        structured(invoke, "ChatBedrock", ["function_calling"])

        # Amazon Nova through InvokeModel (its native body is Converse's schema).
        nova = ChatBedrock(model_id="us.amazon.nova-lite-v1:0", client=rt, region_name="us-east-1",
                           model_kwargs={"max_tokens": 200})
        r = nova.invoke(ask)
        streamed = "".join(c.text for c in nova.stream(ask))
        check(r.text == ANSWER and streamed == ANSWER and r.usage_metadata["output_tokens"] == u["output_tokens"],
              "ChatBedrock on Nova Lite: invoke and stream")
        # Meta Llama through InvokeModel: its native prompt body and `generation` reply.
        llama = ChatBedrock(model_id="us.meta.llama3-3-70b-instruct-v1:0", client=rt, region_name="us-east-1",
                            model_kwargs={"max_gen_len": 200})
        r = llama.invoke(ask)
        chunks = list(llama.stream(ask))
        usage = [c.usage_metadata for c in chunks if c.usage_metadata]
        check(r.text == ANSWER and r.response_metadata["stop_reason"] == "stop"
              and r.usage_metadata["output_tokens"] == u["output_tokens"]
              and "".join(c.text for c in chunks) == ANSWER and usage and usage[-1]["output_tokens"] == u["output_tokens"],
              "ChatBedrock on Llama 3.3: invoke and stream (usage from the invocation metrics)")
        # Mistral 7B through InvokeModel: the text-completion body and `outputs` reply.
        mistral = ChatBedrock(model_id="mistral.mistral-7b-instruct-v0:2", client=rt, region_name="us-east-1",
                              model_kwargs={"max_tokens": 200})
        r = mistral.invoke(ask)
        chunks = list(mistral.stream(ask))
        usage = [c.usage_metadata for c in chunks if c.usage_metadata]
        check(r.text == ANSWER and "".join(c.text for c in chunks) == ANSWER
              and usage and usage[-1]["output_tokens"] == u["output_tokens"],
              "ChatBedrock on Mistral 7B Instruct: invoke and stream")
        # Titan Text Express through InvokeModel: `inputText` / `textGenerationConfig`, `results`.
        titan = ChatBedrock(model_id="amazon.titan-text-express-v1", client=rt, region_name="us-east-1",
                            model_kwargs={"maxTokenCount": 200})
        r = titan.invoke(ask)
        check(r.text == ANSWER and r.usage_metadata["output_tokens"] == u["output_tokens"]
              and "".join(c.text for c in titan.stream(ask)) == ANSWER,
              "ChatBedrock on Titan Text Express: invoke and stream")
        # gpt-oss through InvokeModel: an OpenAI chat completion body and reply.
        gpt = ChatBedrock(model_id="openai.gpt-oss-120b-1:0", client=rt, region_name="us-east-1",
                          model_kwargs={"max_tokens": 200})
        r = gpt.invoke(ask)
        chunks = list(gpt.stream(ask))
        usage = [c.usage_metadata for c in chunks if c.usage_metadata]
        check(r.text == ANSWER and r.usage_metadata["output_tokens"] == u["output_tokens"]
              and "".join(c.text for c in chunks) == ANSWER and usage and usage[-1]["output_tokens"] == u["output_tokens"],
              "ChatBedrock on gpt-oss-120b: invoke and stream (chat completion objects)")

        # DeepSeek-R1 through InvokeModel (its us. profile): the text-completion body and
        # `choices[{text, stop_reason}]` reply of AWS's model-parameters-deepseek page.
        r1 = ChatBedrock(model_id="us.deepseek.r1-v1:0", client=rt, region_name="us-east-1",
                         model_kwargs={"max_tokens": 200})
        r = r1.invoke(ask)
        chunks = list(r1.stream(ask))
        usage = [c.usage_metadata for c in chunks if c.usage_metadata]
        check(r.text == ANSWER and r.usage_metadata["output_tokens"] == u["output_tokens"]
              and "".join(c.text for c in chunks) == ANSWER and usage and usage[-1]["output_tokens"] == u["output_tokens"],
              "ChatBedrock on DeepSeek-R1: invoke and stream")

        thinking_and_stops(emu, rt, ask, u)
        effort(rt, ask)
        images(rt)
        batch_and_many_images(rt, ask)
        streamed_tools(rt)
        tiers_and_async(rt, ask, u)
        citations(rt)

        emu.admin("faults", "error=ThrottlingException")
        # ChatBedrock logs the error with its traceback before re-raising it; the check reads it.
        logging.getLogger("langchain_aws").setLevel(logging.CRITICAL)
        for model, label in [(converse, "ChatBedrockConverse"), (invoke, "ChatBedrock")]:
            try:
                model.invoke(ask)
                raise AssertionError("throttled call succeeded")
            except Exception as e:  # langchain-aws re-raises botocore's error (ChatBedrock wraps it)
                cause = e if isinstance(e, ClientError) else e.__cause__ or e.__context__
                check(isinstance(cause, ClientError) and cause.response["Error"]["Code"] == "ThrottlingException",
                      f"{label}: ThrottlingException surfaces ({type(e).__name__})")
        emu.admin("faults", "none")
    application_profiles()


def tiers_and_async(rt, ask, u):
    """`service_tier` / `performance_config` (langchain-aws sends Converse `serviceTier` /
    `performanceConfig` and InvokeModel's headers; Bedrock echoes them back: AWS's
    service-tiers page, hermes-agent#34476), and the async API a test suite would use."""
    import asyncio

    tiered = ChatBedrockConverse(model=HAIKU, client=rt, region_name="us-east-1", max_tokens=200,
                                 service_tier="flex", performance_config={"latency": "optimized"})
    r = tiered.invoke(ask)
    check(r.text == ANSWER and r.response_metadata.get("serviceTier") == {"type": "flex"}
          and r.response_metadata.get("performanceConfig") == {"latency": "optimized"},
          "ChatBedrockConverse(service_tier, performance_config): echoed in response_metadata")
    merged = None
    for chunk in tiered.stream(ask):
        merged = chunk if merged is None else merged + chunk
    check(merged.text == ANSWER and merged.response_metadata.get("serviceTier") == {"type": "flex"},
          "ChatBedrockConverse stream: serviceTier from the metadata event")
    reserved = ChatBedrockConverse(model=HAIKU, client=rt, region_name="us-east-1", max_tokens=200,
                                   service_tier="reserved")
    try:
        reserved.invoke(ask)
        raise AssertionError("reserved tier served without a reservation")
    except ClientError as e:
        check(e.response["Error"]["Message"] == "Reservation not found.",
              "ChatBedrockConverse(service_tier='reserved'): Reservation not found.")
    invoke = ChatBedrock(model_id=HAIKU, client=rt, region_name="us-east-1", service_tier="priority",
                         model_kwargs={"max_tokens": 200})
    check(invoke.invoke(ask).text == ANSWER, "ChatBedrock(service_tier='priority'): served through InvokeModel")

    async def run():
        converse = ChatBedrockConverse(model=HAIKU, client=rt, region_name="us-east-1", max_tokens=200)
        r = await converse.ainvoke(ask)
        chunks = [c async for c in converse.astream(ask)]
        return r, chunks

    r, chunks = asyncio.run(run())
    usage = [c.usage_metadata for c in chunks if c.usage_metadata]
    check(r.text == ANSWER and "".join(c.text for c in chunks) == ANSWER and len(usage) == 1
          and usage[0]["output_tokens"] == u["output_tokens"]
          and usage[0]["total_tokens"] == usage[0]["input_tokens"] + usage[0]["output_tokens"],
          f"ChatBedrockConverse ainvoke / astream: text and one usage chunk {usage}")


def citations(rt):
    """A LangChain `file` block with citations on (langchain-aws maps it to a Converse
    document): the first content block carries the citation."""
    import base64

    text = "Our front desk opens at 8:30 on weekdays. Saturdays are by appointment."
    message = HumanMessage(content=[
        {"type": "text", "text": "When does the desk open?"},
        {"type": "file", "base64": base64.b64encode(text.encode()).decode(), "mime_type": "text/plain",
         "name": "front desk notes", "citations": {"enabled": True}},
    ])
    model = ChatBedrockConverse(model=HAIKU, client=rt, region_name="us-east-1", max_tokens=300)
    r = model.invoke([message])
    first = r.content[0] if isinstance(r.content, list) else {}
    check(first.get("text") == "Our front desk opens at 8:30 on weekdays." and first.get("citations")
          and first["citations"][0].get("title") == "front desk notes",
          f"ChatBedrockConverse: a cited text block {str(first)[:90]}")


def streamed_tools(rt):
    """Tool calls assembled from streamed chunks (tool_call_chunks), with usage, through both
    classes and Nova; structured output through InvokeModel's json_schema and a stream."""
    question = [HumanMessage("What's the weather forecast in Paris?")]
    for model, label in [
        (ChatBedrockConverse(model=HAIKU, client=rt, region_name="us-east-1", max_tokens=300), "ChatBedrockConverse"),
        (ChatBedrock(model_id=HAIKU, client=rt, region_name="us-east-1", model_kwargs={"max_tokens": 300}), "ChatBedrock"),
        (ChatBedrockConverse(model="us.amazon.nova-lite-v1:0", client=rt, region_name="us-east-1", max_tokens=300),
         "ChatBedrockConverse on Nova Lite"),
    ]:
        tooled = model.bind_tools([get_weather])
        whole = tooled.invoke(question)
        merged = None
        for chunk in tooled.stream(question):
            merged = chunk if merged is None else merged + chunk
        calls = merged.tool_calls
        check(len(calls) == 1 and calls[0]["name"] == "get_weather" and calls[0]["args"] == whole.tool_calls[0]["args"]
              and calls[0]["id"] != whole.tool_calls[0]["id"]
              and merged.usage_metadata["output_tokens"] == whole.usage_metadata["output_tokens"] > 0,
              f"{label} stream with tools: the same tool call and usage as invoke, a new id (as Bedrock) {calls}")
    structured(ChatBedrock(model_id=HAIKU, client=rt, region_name="us-east-1", model_kwargs={"max_tokens": 300}),
               "ChatBedrock", ["json_schema", "json_mode"])
    last = list(ChatBedrockConverse(model=HAIKU, client=rt, region_name="us-east-1", max_tokens=300)
                .with_structured_output(Forecast, method="json_schema").stream("Forecast for Paris for the next days"))
    check(last and isinstance(last[-1], Forecast) and last[-1].city == "Paris",
          f"ChatBedrockConverse with_structured_output(json_schema) streamed: {last[-1:]}")


def application_profiles():
    """langchain-aws resolves an application inference profile ARN through the control plane
    (`bedrock` client, GetInferenceProfile: models[0].modelArn) before the first call."""
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "profiles.json")
        with open(path, "w") as f:
            json.dump([{"id": "frontdesk001", "name": "front desk", "model_source": HAIKU},
                       {"id": "novalite0001", "name": "nova lite", "model_source": "us.amazon.nova-lite-v1:0"}], f)
        with Emulator("--application-profiles", path) as emu:
            emu.admin("rules", json.dumps([{"prompt_contains": "opening hours", "reply": ANSWER}]))
            creds = dict(region_name="us-east-1", endpoint_url=emu.url, aws_access_key_id=ACCESS_KEY_ID,
                         aws_secret_access_key=SECRET_ACCESS_KEY)
            arn = "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/frontdesk001"
            converse = ChatBedrockConverse(model=arn, provider="anthropic", max_tokens=200, **creds)
            check(converse.base_model_id == "anthropic.claude-haiku-4-5-20251001-v1:0",
                  "ChatBedrockConverse on an application profile ARN: base model from get_inference_profile")
            r = converse.invoke("What are your opening hours?")
            check(r.text == ANSWER, "ChatBedrockConverse invokes the application profile ARN")
            before = emu.admin("counters").get("get-inference-profile", {}).get("ok", 0)
            # ChatBedrock's before-validator hands plain-string keys to create_aws_client, which
            # wants SecretStr (langchain-aws 1.9.1): the bedrock client is built here; the keys
            # still go in for the ChatBedrockConverse it delegates to.
            keys = dict(aws_access_key_id=ACCESS_KEY_ID, aws_secret_access_key=SECRET_ACCESS_KEY,
                        region_name="us-east-1", endpoint_url=emu.url)
            nova = ChatBedrock(model_id=arn.replace("frontdesk001", "novalite0001"), provider="amazon",
                               model_kwargs={"max_tokens": 200}, client=boto3.client("bedrock-runtime", **keys),
                               bedrock_client=boto3.client("bedrock", **keys), **creds)
            after = emu.admin("counters").get("get-inference-profile", {}).get("ok", 0)
            check(nova.beta_use_converse_api and after > before,
                  "ChatBedrock on a Nova application profile: Converse chosen from get_inference_profile")
            check(nova.invoke("What are your opening hours?").text == ANSWER, "ChatBedrock invokes it")
            try:
                ChatBedrockConverse(model=arn.replace("frontdesk001", "missing00001"), provider="anthropic", **creds)
                raise AssertionError("an unknown application profile was resolved")
            except ClientError as e:
                check(e.response["Error"]["Code"] == "ResourceNotFoundException",
                      "an unknown application profile: ResourceNotFoundException from GetInferenceProfile")


def effort(rt, ask):
    """reasoning_effort (langchain-aws sends thinking adaptive + output_config.effort for Claude) and
    output_config.effort in additional_model_request_fields, refused where Bedrock refuses it."""
    opus47 = ChatBedrockConverse(model="global.anthropic.claude-opus-4-7", client=rt, region_name="us-east-1",
                                 max_tokens=2000, reasoning_effort="xhigh")
    r = opus47.invoke(ask)
    check(r.text == ANSWER, "ChatBedrockConverse reasoning_effort xhigh on Opus 4.7")
    opus45 = ChatBedrockConverse(model="us.anthropic.claude-opus-4-5-20251101-v1:0", client=rt,
                                 region_name="us-east-1", max_tokens=200,
                                 additional_model_request_fields={"output_config": {"effort": "max"}})
    try:
        opus45.invoke(ask)
        raise AssertionError("effort max accepted on Opus 4.5")
    except ClientError as e:
        # Bedrock's words (coder/coder#25356), behind Converse's prefix.
        check(e.response["Error"]["Code"] == "ValidationException" and e.response["Error"]["Message"]
              == "The model returned the following errors: output_config.effort: Input should be 'low', 'medium' or 'high'",
              "ChatBedrockConverse output_config effort max on Opus 4.5: refused")


def images(rt):
    """An image as a data URL, the everyday multimodal message: ChatBedrockConverse sends Converse's
    `format` from the MIME type, ChatBedrock an Anthropic `media_type`; Claude checks it against the
    bytes (Bedrock's Converse text: aws-samples/amazon-bedrock-client-for-mac#130; Anthropic's:
    LaoshuBaby/liulianmao#11)."""
    png = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
    ask = lambda mime: [HumanMessage(content=[{"type": "text", "text": "What is in this picture?"},
                                              {"type": "image_url", "image_url": {"url": f"data:{mime};base64,{png}"}}])]
    converse = ChatBedrockConverse(model=HAIKU, client=rt, region_name="us-east-1", max_tokens=200)
    invoke = ChatBedrock(model_id=HAIKU, client=rt, region_name="us-east-1", model_kwargs={"max_tokens": 200})
    for model, label, where in [(converse, "ChatBedrockConverse", "The model returned the following errors: "
                                 "messages.0.content.1.image.source.bytes"),
                                (invoke, "ChatBedrock", "messages.0.content.1.image.source.base64")]:
        check(model.invoke(ask("image/png")).text, f"{label}: a PNG data URL answered")
        try:
            model.invoke(ask("image/jpeg"))
            raise AssertionError("a PNG sent as image/jpeg accepted")
        except Exception as e:  # botocore's ClientError (ChatBedrock wraps it in a ValueError)
            text = f"{where}: The image was specified using the image/jpeg media type, but the image appears " \
                   "to be a image/png image"
            check(text in str(e), f"{label}: a PNG sent as image/jpeg refused")


def batch_and_many_images(rt, ask):
    """`batch` (the Runnable API's everyday fan-out), and Claude's many-image cap seen through a
    multimodal message: more than 20 images cap each at 2,000 px (Anthropic's vision page;
    Bedrock measured, accelerated-intelligent-document-processing-on-aws#994)."""
    import base64

    converse = ChatBedrockConverse(model=HAIKU, client=rt, region_name="us-east-1", max_tokens=200)
    replies = converse.batch([ask, [HumanMessage("Tell me something else.")]])
    check(len(replies) == 2 and replies[0].text == ANSWER and replies[1].text and replies[1].usage_metadata,
          "ChatBedrockConverse batch: two replies with usage")
    pages = lambda n, w: [HumanMessage(content=[{"type": "text", "text": "Compare these pages."}] + [
        {"type": "image_url", "image_url": {"url": "data:image/png;base64," + base64.b64encode(png_image(w, 2)).decode()}}
        for _ in range(n)])]
    check(converse.invoke(pages(21, 2000)).text, "ChatBedrockConverse: 21 images of 2,000 px served")
    try:
        converse.invoke(pages(21, 2001))
        raise AssertionError("21 images of 2,001 px accepted")
    except ClientError as e:
        check(e.response["Error"]["Code"] == "ValidationException" and e.response["Error"]["Message"].endswith(
            "exceed max allowed size for many-image requests: 2000 pixels"), "ChatBedrockConverse: 21 images of 2,001 px refused")


def thinking_and_stops(emu, rt, ask, u):
    emu.admin("rules", json.dumps([{"prompt_contains": "opening hours", "reply": ANSWER,
                                    "thinking": "The caller asks about the hours."}]))
    budget = {"thinking": {"type": "enabled", "budget_tokens": 1024}}
    converse = ChatBedrockConverse(model=HAIKU, client=rt, region_name="us-east-1", max_tokens=3000,
                                   additional_model_request_fields=budget)
    r = converse.invoke(ask[1:])
    reasoning = r.content[0]["reasoning_content"]
    check(reasoning["text"] == "The caller asks about the hours." and reasoning["signature"]
          and r.content[1]["text"] == ANSWER, "ChatBedrockConverse thinking: signed reasoning_content, then text")
    parts = [b for c in converse.stream(ask[1:]) for b in (c.content if isinstance(c.content, list) else [])]
    streamed = "".join(b["reasoning_content"].get("text", "") for b in parts if b["type"] == "reasoning_content")
    signed = [b["reasoning_content"]["signature"] for b in parts
              if b["type"] == "reasoning_content" and "signature" in b["reasoning_content"]]
    check(streamed == reasoning["text"] and len(signed) == 1 and signed[0] != reasoning["signature"],
          "ChatBedrockConverse stream thinking: reasoning deltas and one signature (new per call, as Bedrock)")
    invoke = ChatBedrock(model_id=HAIKU, client=rt, region_name="us-east-1", model_kwargs=dict(budget, max_tokens=3000))
    r = invoke.invoke(ask[1:])
    check(r.content[0]["type"] == "thinking" and r.content[0]["signature"] and r.content[1]["text"] == ANSWER,
          "ChatBedrock thinking (model_kwargs): thinking block, then text")
    # A thinking tool loop: the AIMessage (invoked, or merged from a stream) goes back with its
    # signed reasoning block, which Bedrock requires (langchain-ai/langchain-aws#844).
    round_trip(converse, "ChatBedrockConverse with thinking")
    round_trip(invoke, "ChatBedrock with thinking")
    tooled = converse.bind_tools([get_weather])
    question = HumanMessage("What's the weather forecast in Paris?")
    merged = None
    for chunk in tooled.stream([question]):
        merged = chunk if merged is None else merged + chunk
    result = ToolMessage("Sunny, 21 degrees", tool_call_id=merged.tool_calls[0]["id"])
    final = tooled.invoke([question, merged, result])
    check("Sunny, 21 degrees" in final.text, "ChatBedrockConverse with thinking: a streamed tool call sent back")
    stripped = AIMessage(content=[b for b in merged.content if b.get("type") != "reasoning_content"],
                         tool_calls=merged.tool_calls)
    try:
        tooled.invoke([question, stripped, result])
        raise AssertionError("a thinking tool loop without its reasoning block accepted")
    except ClientError as e:
        check(e.response["Error"]["Code"] == "ValidationException"
              and "Expected `thinking` or `redacted_thinking`, but found `text`" in e.response["Error"]["Message"],
              "the same turn without its reasoning block: Bedrock's ValidationException")

    stopping = ChatBedrockConverse(model=HAIKU, client=rt, region_name="us-east-1", max_tokens=300, stop=["sharp."])
    r = stopping.invoke(ask)
    check(r.text == "We open at 9:00 a.m. " and r.response_metadata["stopReason"] == "stop_sequence",
          "ChatBedrockConverse stop: cut at the stop sequence, stopReason stop_sequence")
    invoke = ChatBedrock(model_id=HAIKU, client=rt, region_name="us-east-1", model_kwargs={"max_tokens": 200})
    chunks = list(invoke.stream(ask))
    usage = [c.usage_metadata for c in chunks if c.usage_metadata]
    check(usage and usage[-1]["output_tokens"] == u["output_tokens"]
          and usage[-1]["total_tokens"] == usage[-1]["input_tokens"] + u["output_tokens"],
          f"ChatBedrock stream usage_metadata: {usage[-1] if usage else None}")
    via_converse = ChatBedrock(model_id=HAIKU, client=rt, region_name="us-east-1", beta_use_converse_api=True,
                               model_kwargs={"max_tokens": 200})
    r = via_converse.invoke(ask)
    check(r.text == ANSWER and r.response_metadata["stopReason"] == "end_turn",
          "ChatBedrock(beta_use_converse_api=True) goes through Converse")
    guarded = ChatBedrockConverse(model=HAIKU, client=rt, region_name="us-east-1", max_tokens=100,
                                  guardrail_config={"guardrailIdentifier": "gr0none", "guardrailVersion": "DRAFT"})
    try:
        guarded.invoke(ask)
        raise AssertionError("unknown guardrail accepted")
    except ClientError as e:
        check(e.response["Error"]["Code"] == "ValidationException" and "does not exist" in str(e),
              "ChatBedrockConverse guardrail_config naming no guardrail: ValidationException")
    emu.admin("rules", json.dumps([{"prompt_contains": "opening hours", "reply": ANSWER}]))


if __name__ == "__main__":
    main()
