"""Anthropic's Python SDK against the emulator, as against Bedrock: `AnthropicBedrock`
(InvokeModel / InvokeModelWithResponseStream on bedrock-runtime, SigV4) and
`AnthropicBedrockMantle` (bedrock-mantle Messages API with SSE; API key or SigV4).

Run: /tmp/v/bin/pip install anthropic boto3 && cargo build -p bedrock_emulator
     && /tmp/v/bin/python native/bedrock_emulator/tests/clients/check_anthropic.py
"""

import asyncio
import base64
import json
import os
import tempfile

import anthropic
from anthropic import AnthropicBedrock, AnthropicBedrockMantle, AsyncAnthropicBedrock

from emulator import ACCESS_KEY_ID, API_KEY, SECRET_ACCESS_KEY, Emulator, check, png_image

MSGS = [{"role": "user", "content": "What are your opening hours?"}]


def main():
    print("anthropic", anthropic.__version__)
    with Emulator() as emu:
        bedrock = AnthropicBedrock(aws_access_key=ACCESS_KEY_ID, aws_secret_key=SECRET_ACCESS_KEY,
                                   aws_region="us-east-1", base_url=emu.url, max_retries=0)
        # The SDK's default anthropic_version works for Messages-API models (Opus 4.7)...
        m = bedrock.messages.create(model="global.anthropic.claude-opus-4-7", max_tokens=300, messages=MSGS)
        check(m.content[0].type == "text" and m.usage.input_tokens > 0, "AnthropicBedrock create on Opus 4.7")
        with bedrock.messages.stream(model="global.anthropic.claude-opus-4-7", max_tokens=300, messages=MSGS) as s:
            text = "".join(s.text_stream)
            final = s.get_final_message()
        check(len(text) > 10 and final.stop_reason == "end_turn", "AnthropicBedrock stream (event stream chunks)")
        # ...and is rejected for ARN-versioned models, as Anthropic documents.
        try:
            bedrock.messages.create(model="us.anthropic.claude-haiku-4-5-20251001-v1:0", max_tokens=50, messages=MSGS)
            raise AssertionError("2026-10-21 accepted on an ARN-versioned model")
        except anthropic.BadRequestError as e:
            check(e.status_code == 400 and "Invalid API version" in str(e), "2026-10-21 on Haiku 4.5: " + str(e))
        # Pinning the Bedrock version works there.
        m = bedrock.messages.create(model="us.anthropic.claude-haiku-4-5-20251001-v1:0", max_tokens=50,
                                    messages=MSGS, extra_body={"anthropic_version": "bedrock-2023-05-31"})
        check(m.content, "Haiku 4.5 with anthropic_version bedrock-2023-05-31")
        try:
            bedrock.messages.create(model="anthropic.claude-sonnet-4-5-20250929-v1:0", max_tokens=50, messages=MSGS,
                                    extra_body={"anthropic_version": "bedrock-2023-05-31"})
            raise AssertionError("profile-only base id accepted")
        except anthropic.BadRequestError as e:
            check("on-demand throughput" in str(e), "profile-only base id rejected")

        mantle = AnthropicBedrockMantle(api_key=API_KEY, aws_region="us-east-1", base_url=emu.url + "/anthropic",
                                        max_retries=0)
        m = mantle.messages.create(model="anthropic.claude-opus-4-7", max_tokens=300, messages=MSGS)
        check(m.content[0].text, "AnthropicBedrockMantle create (API key)")
        with mantle.messages.stream(model="anthropic.claude-opus-4-7", max_tokens=300, messages=MSGS) as s:
            events = [e.type for e in s]
        check("message_start" in events and "message_stop" in events, "AnthropicBedrockMantle stream (SSE)")
        n = mantle.messages.count_tokens(model="anthropic.claude-opus-4-7", messages=MSGS).input_tokens
        check(n == m.usage.input_tokens, f"mantle count_tokens = {n}")
        try:
            mantle.messages.create(model="global.anthropic.claude-opus-4-7", max_tokens=10, messages=MSGS)
            raise AssertionError("profile id accepted on mantle")
        except anthropic.NotFoundError as e:
            check(e.status_code == 404, "profile id on mantle: 404")
        try:
            mantle.messages.create(model="anthropic.claude-opus-4-7", max_tokens=3000, messages=MSGS,
                                   thinking={"type": "enabled", "budget_tokens": 1024})
            raise AssertionError("budget thinking accepted on Opus 4.7")
        except anthropic.BadRequestError as e:
            check("thinking.type.enabled" in str(e), "budget thinking on Opus 4.7 rejected")

        for client, text in [
                (mantle, "max_tokens: 200000 > 128000, which is the maximum allowed number of output tokens for "
                         "claude-opus-4-7"),
                (bedrock, "The maximum tokens you requested exceeds the model limit of 128000. Try again with a "
                          "maximum tokens value that is lower than 128000.")]:
            model = "anthropic.claude-opus-4-7" if client is mantle else "global.anthropic.claude-opus-4-7"
            try:
                # (an explicit timeout: the SDK refuses a non-streaming call this long otherwise)
                client.with_options(timeout=30).messages.create(model=model, max_tokens=200000, messages=MSGS)
                raise AssertionError("max_tokens above the model limit accepted")
            except anthropic.BadRequestError as e:
                check(text in str(e), "max_tokens over the limit: " + text[:50])

        sig = AnthropicBedrockMantle(aws_access_key=ACCESS_KEY_ID, aws_secret_key=SECRET_ACCESS_KEY,
                                     aws_region="us-east-1", base_url=emu.url + "/anthropic", max_retries=0)
        m = sig.messages.create(model="anthropic.claude-haiku-4-5", max_tokens=100, messages=MSGS)
        check(m.content, "AnthropicBedrockMantle with SigV4 (service bedrock-mantle)")
        counters = emu.admin("counters")
        check(counters.get("mantle-messages", {}).get("ok", 0) >= 2, "counted as mantle-style requests")

        # bedrock-mantle answers in Anthropic's error form: a PNG declared image/jpeg is an
        # invalid_request_error with Anthropic's text (LaoshuBaby/liulianmao#11).
        png = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
        try:
            mantle.messages.create(model="anthropic.claude-opus-4-7", max_tokens=100, messages=[{"role": "user", "content": [
                {"type": "image", "source": {"type": "base64", "media_type": "image/jpeg", "data": png}},
                {"type": "text", "text": "What is it?"}]}])
            raise AssertionError("a PNG declared image/jpeg accepted on mantle")
        except anthropic.BadRequestError as e:
            check(e.body == {"type": "error", "error": {"type": "invalid_request_error", "message":
                  "messages.0.content.0.image.source.base64: The image was specified using the image/jpeg media "
                  "type, but the image appears to be a image/png image"}}, "mantle: a PNG as image/jpeg, "
                  "invalid_request_error")
        mantle_streams(emu, mantle)
        tools_and_errors(emu, bedrock)
        thinking_and_stops(emu, bedrock)
        effort_and_images(bedrock)
        asyncio.run(async_client(emu))
    application_profile()


OPUS = "global.anthropic.claude-opus-4-7"
WEATHER = {"name": "get_weather", "description": "Get the weather forecast for a city",
           "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}


def tools_and_errors(emu, bedrock):
    ask = [{"role": "user", "content": "What's the weather forecast in Paris?"}]
    m = bedrock.messages.create(model=OPUS, max_tokens=300, tools=[WEATHER], messages=ask)
    uses = [b for b in m.content if b.type == "tool_use"]
    check(m.stop_reason == "tool_use" and len(uses) == 1 and uses[0].name == "get_weather"
          and isinstance(uses[0].input.get("city"), str) and uses[0].id.startswith("toolu_bdrk_"),
          "messages.create tool use")
    follow = ask + [{"role": "assistant", "content": [b.model_dump(exclude_none=True) for b in m.content]},
                    {"role": "user", "content": [{"type": "tool_result", "tool_use_id": uses[0].id,
                                                  "content": "Sunny, 21 degrees"}]}]
    m2 = bedrock.messages.create(model=OPUS, max_tokens=300, tools=[WEATHER], messages=follow)
    check(m2.stop_reason == "end_turn" and "Sunny, 21 degrees" in m2.content[0].text, "tool result round trip")
    with bedrock.messages.stream(model=OPUS, max_tokens=300, tools=[WEATHER], messages=ask,
                                 tool_choice={"type": "tool", "name": "get_weather"}) as s:
        kinds = [e.type for e in s]
        final = s.get_final_message()
    check("input_json" in kinds and final.stop_reason == "tool_use" and [b.type for b in final.content] == ["tool_use"]
          and final.content[0].input == uses[0].input, "messages.stream forced tool: input_json events, same input")
    check(final.usage.output_tokens > 0 and final.usage.input_tokens == m.usage.input_tokens,
          "stream usage matches create")

    cases = [  # Bedrock error -> the SDK's exception class (by HTTP status)
        ("ThrottlingException", anthropic.RateLimitError, 429),
        ("ModelNotReadyException", anthropic.RateLimitError, 429),
        ("AccessDeniedException", anthropic.PermissionDeniedError, 403),
        ("ResourceNotFoundException", anthropic.NotFoundError, 404),
        ("ValidationException", anthropic.BadRequestError, 400),
        ("ServiceQuotaExceededException", anthropic.BadRequestError, 400),
        ("ModelTimeoutException", anthropic.APIStatusError, 408),
        ("ModelErrorException", anthropic.APIStatusError, 424),
        ("InternalServerException", anthropic.InternalServerError, 500),
        ("ServiceUnavailableException", anthropic.InternalServerError, 503),
    ]
    for fault, cls, status in cases:
        emu.admin("faults", f"error={fault},message=injected {fault}")
        try:
            bedrock.messages.create(model=OPUS, max_tokens=30, messages=ask)
            raise AssertionError(fault + " succeeded")
        except anthropic.APIStatusError as e:
            check(isinstance(e, cls) and e.status_code == status and e.body == {"message": f"injected {fault}"}
                  and e.response.headers["x-amzn-errortype"] == fault,
                  f"{fault} -> {type(e).__name__} {e.status_code}")
    emu.admin("faults", "error=ThrottlingException")
    before = emu.admin("counters")["total_requests"]
    retrying = bedrock.with_options(max_retries=2)
    try:
        retrying.messages.create(model=OPUS, max_tokens=30, messages=ask)
        raise AssertionError("throttled call succeeded")
    except anthropic.RateLimitError:
        attempts = emu.admin("counters")["total_requests"] - before - 1
        check(attempts == 3, f"max_retries=2: the SDK retried the 429 ({attempts} attempts)")
    emu.admin("faults", "exception=throttlingException@3,message=Rate exceeded mid-stream")
    try:
        with bedrock.messages.stream(model=OPUS, max_tokens=300, messages=ask) as s:
            for _ in s:
                pass
        raise AssertionError("mid-stream exception not raised")
    except anthropic.APIStatusError as e:
        check("Rate exceeded mid-stream" in str(e) and "throttlingException" in str(e),
              "mid-stream exception frame raised by the SDK: " + str(e)[:60])
    emu.admin("faults", "none")



def mantle_streams(emu, mantle):
    """The SDK's stream helpers over bedrock-mantle's SSE: text_stream, get_final_message,
    tool input JSON deltas, stop sequences, and an `error` event mid-stream, which the SDK
    raises from the SSE decoder (anthropic/_streaming.py) with the event's body."""
    model = "anthropic.claude-opus-4-7"
    whole = mantle.messages.create(model=model, max_tokens=300, messages=MSGS)
    with mantle.messages.stream(model=model, max_tokens=300, messages=MSGS) as s:
        text = "".join(s.text_stream)
        final = s.get_final_message()
    check(text == whole.content[0].text and final.content[0].text == text and final.stop_reason == "end_turn"
          and final.usage.output_tokens == whole.usage.output_tokens and final.id.startswith("msg_"),
          "mantle messages.stream: text_stream and get_final_message agree with create")
    ask = [{"role": "user", "content": "What's the weather forecast in Paris?"}]
    with mantle.messages.stream(model=model, max_tokens=300, tools=[WEATHER], messages=ask,
                                tool_choice={"type": "tool", "name": "get_weather"}) as s:
        partial = [e.delta.partial_json for e in s if e.type == "content_block_delta" and e.delta.type == "input_json_delta"]
        final = s.get_final_message()
    use = final.content[-1]
    check(final.stop_reason == "tool_use" and use.type == "tool_use" and len(partial) >= 1
          and json.loads("".join(partial)) == use.input and isinstance(use.input.get("city"), str),
          f"mantle stream forced tool: {len(partial)} input_json_delta pieces make the final input")
    emu.admin("rules", json.dumps([{"prompt_contains": "opening hours",
                                    "reply": "We open at 9:00 a.m. We close at 6 p.m. on weekdays."}]))
    with mantle.messages.stream(model=model, max_tokens=300, messages=MSGS, stop_sequences=["6 p.m."]) as s:
        text = "".join(s.text_stream)
        final = s.get_final_message()
    emu.admin("rules", "[]")
    check((final.stop_reason, final.stop_sequence) == ("stop_sequence", "6 p.m.")
          and text == "We open at 9:00 a.m. We close at ", "mantle stream stop_sequences: the cut text and the sequence")
    emu.admin("faults", "exception=serviceUnavailableException@3,message=Overloaded mid-stream")
    try:
        with mantle.messages.stream(model=model, max_tokens=300, messages=MSGS) as s:
            for _ in s:
                pass
        raise AssertionError("mid-stream error event not raised")
    except anthropic.APIStatusError as e:
        check(e.body == {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded mid-stream"}},
              "mantle mid-stream error event: the SDK raises it with Anthropic's error body")
    finally:
        emu.admin("faults", "none")


def thinking_and_stops(emu, bedrock):
    answer = "We open at 9:00 a.m. We close at 6 p.m. on weekdays."
    emu.admin("rules", json.dumps([{"prompt_contains": "opening hours", "reply": answer,
                                    "thinking": "The caller asks about the hours."}]))
    haiku = "us.anthropic.claude-haiku-4-5-20251001-v1:0"
    pin = {"anthropic_version": "bedrock-2023-05-31"}
    m = bedrock.messages.create(model=haiku, max_tokens=3000, messages=MSGS, extra_body=pin,
                                thinking={"type": "enabled", "budget_tokens": 1024})
    check([b.type for b in m.content] == ["thinking", "text"] and m.content[0].signature
          and m.content[0].thinking == "The caller asks about the hours." and m.content[1].text == answer,
          "messages.create thinking (budget) on Haiku 4.5: a signed thinking block, then the text")
    with bedrock.messages.stream(model=haiku, max_tokens=3000, messages=MSGS, extra_body=pin,
                                 thinking={"type": "enabled", "budget_tokens": 1024}) as s:
        kinds = [e.type for e in s]
        final = s.get_final_message()
    check("thinking" in kinds and "signature" in kinds and final.content[0].thinking == m.content[0].thinking
          and final.content[0].signature and final.content[0].signature != m.content[0].signature
          and final.content[1].text == answer,
          "messages.stream thinking: thinking and signature events, the same blocks, a new signature (as Bedrock)")
    m = bedrock.messages.create(model=OPUS, max_tokens=3000, messages=MSGS, thinking={"type": "adaptive"})
    check(m.content[0].type == "thinking" and m.content[-1].text == answer, "adaptive thinking on Opus 4.7")

    # A thinking tool loop: the assistant turn goes back whole, thinking block first; without it
    # Bedrock passes on Anthropic's error (langchain-ai/langchain-aws#844, anomalyco/opencode#3077).
    ask = [{"role": "user", "content": "What's the weather forecast in Paris?"}]
    m = bedrock.messages.create(model=OPUS, max_tokens=3000, tools=[WEATHER], messages=ask,
                                thinking={"type": "adaptive"})
    use = [b for b in m.content if b.type == "tool_use"][0]
    result = {"role": "user", "content": [{"type": "tool_result", "tool_use_id": use.id, "content": "Sunny"}]}
    turn = [b.model_dump(exclude_none=True) for b in m.content]
    check(m.content[0].type == "thinking" and m.stop_reason == "tool_use", "adaptive thinking with tools: thinking first")
    done = bedrock.messages.create(model=OPUS, max_tokens=3000, tools=[WEATHER], thinking={"type": "adaptive"},
                                   messages=ask + [{"role": "assistant", "content": turn}, result])
    check(done.stop_reason == "end_turn", "the turn sent back with its thinking block: answered")
    edited = [dict(turn[0], thinking=turn[0]["thinking"].strip() + " (edited)")] + turn[1:]
    try:
        bedrock.messages.create(model=OPUS, max_tokens=3000, tools=[WEATHER], thinking={"type": "adaptive"},
                                messages=ask + [{"role": "assistant", "content": edited}, result])
        raise AssertionError("an edited thinking block accepted")
    except anthropic.BadRequestError as e:
        check(e.body["message"] == "messages.1.content.0: `thinking` or `redacted_thinking` blocks in the latest "
              "assistant message cannot be modified. These blocks must remain as they were in the original response.",
              "the thinking block sent back edited: refused")
    bare = [b for b in turn if b["type"] == "tool_use"]
    try:
        bedrock.messages.create(model=OPUS, max_tokens=3000, tools=[WEATHER], thinking={"type": "adaptive"},
                                messages=ask + [{"role": "assistant", "content": bare}, result])
        raise AssertionError("a thinking tool loop without its thinking block accepted")
    except anthropic.BadRequestError as e:
        check(e.body["message"].startswith("messages.1.content.0.type: Expected `thinking` or `redacted_thinking`, "
                                           "but found `tool_use`."), "the thinking block dropped: " + e.body["message"][:80])

    try:
        bedrock.messages.create(model=OPUS, max_tokens=3000, tools=[WEATHER], messages=ask,
                                thinking={"type": "adaptive"}, tool_choice={"type": "any"})
        raise AssertionError("thinking with a forced tool choice accepted")
    except anthropic.BadRequestError as e:
        check(e.body == {"message": "Thinking may not be enabled when tool_choice forces tool use."},
              "thinking with tool_choice any: " + e.body["message"])

    # Claude's cap on cache breakpoints, as Bedrock passes it on.
    cached = [{"type": "text", "text": f"Part {i} of the notes.", "cache_control": {"type": "ephemeral"}}
              for i in range(5)]
    try:
        bedrock.messages.create(model=OPUS, max_tokens=300, messages=[{"role": "user", "content": cached}])
        raise AssertionError("five cache_control blocks accepted")
    except anthropic.BadRequestError as e:
        check(e.body == {"message": "A maximum of 4 blocks with cache_control may be provided. Found 5."},
              "five cache_control blocks: " + e.body["message"])
    m = bedrock.messages.create(model=OPUS, max_tokens=300, messages=[{"role": "user", "content": cached[:4]}])
    check(m.stop_reason == "end_turn", "four cache_control blocks: served")

    m = bedrock.messages.create(model=OPUS, max_tokens=300, messages=MSGS, stop_sequences=["6 p.m."])
    check(m.stop_reason == "stop_sequence" and m.stop_sequence == "6 p.m."
          and m.content[0].text == "We open at 9:00 a.m. We close at ", "stop_sequences: stop_sequence and the cut text")
    with bedrock.messages.stream(model=OPUS, max_tokens=300, messages=MSGS, stop_sequences=["6 p.m."]) as s:
        text = "".join(s.text_stream)
        final = s.get_final_message()
    check(text == m.content[0].text and (final.stop_reason, final.stop_sequence) == ("stop_sequence", "6 p.m."),
          "messages.stream stop_sequences: the same cut and stop sequence")
    m = bedrock.messages.create(model=OPUS, max_tokens=4, messages=MSGS)
    check(m.stop_reason == "max_tokens" and m.usage.output_tokens == 4, "max_tokens reached: stop_reason max_tokens")

    raw = bedrock.messages.with_raw_response.create(model=OPUS, max_tokens=300, messages=MSGS)
    m = raw.parse()
    check(raw.headers["x-amzn-requestid"] and int(raw.headers["x-amzn-bedrock-input-token-count"])
          == m.usage.input_tokens and int(raw.headers["x-amzn-bedrock-output-token-count"]) == m.usage.output_tokens,
          "raw response: x-amzn-RequestId and the x-amzn-bedrock-*-token-count headers match usage")
    # The SDK sends the anthropic-beta header as the body's anthropic_beta (InvokeModel's field).
    b = bedrock.beta.messages.create(model=OPUS, max_tokens=300, messages=MSGS, betas=["context-1m-2025-08-07"])
    check(b.content[0].text == answer, "beta.messages.create: betas carried as anthropic_beta")
    try:
        # Anthropic's MCP connector beta is not one of Bedrock's beta headers.
        bedrock.beta.messages.create(model=OPUS, max_tokens=300, messages=MSGS, betas=["mcp-client-2025-04-04"])
        raise AssertionError("a beta Bedrock does not take was accepted")
    except anthropic.BadRequestError as e:
        check(e.status_code == 400 and e.body == {"message": "invalid beta flag"}
              and e.response.headers["x-amzn-errortype"] == "ValidationException",
              "betas=['mcp-client-2025-04-04']: Bedrock's 400 invalid beta flag")
    try:
        bedrock.messages.count_tokens(model=OPUS, messages=MSGS)
        raise AssertionError("count_tokens went to the network")
    except anthropic.AnthropicError as e:
        # The SDK refuses it client-side (anthropic/lib/bedrock/_client.py); CountTokens is boto3's.
        check("not supported in Bedrock" in str(e), "AnthropicBedrock count_tokens refused by the SDK: " + str(e))
    emu.admin("rules", "[]")


def effort_and_images(bedrock):
    """output_config.effort per model and Claude's 5 MB image limit, over InvokeModel."""
    pinned = {"anthropic_version": "bedrock-2023-05-31"}
    opus45 = "us.anthropic.claude-opus-4-5-20251101-v1:0"
    m = bedrock.messages.create(model=opus45, max_tokens=100, messages=MSGS,
                                extra_body=dict(pinned, output_config={"effort": "medium"}))
    check(m.stop_reason == "end_turn", "output_config effort medium on Opus 4.5")
    for effort in ("xhigh", "max"):
        try:
            bedrock.messages.create(model=opus45, max_tokens=100, messages=MSGS,
                                    extra_body=dict(pinned, output_config={"effort": effort}))
            raise AssertionError(f"effort {effort} accepted on Opus 4.5")
        except anthropic.BadRequestError as e:
            # Bedrock's words (coder/coder#25356).
            check(e.body == {"message": "output_config.effort: Input should be 'low', 'medium' or 'high'"},
                  f"output_config effort {effort} on Opus 4.5: refused")
    m = bedrock.messages.create(model="global.anthropic.claude-opus-4-7", max_tokens=100, messages=MSGS,
                                extra_body={"output_config": {"effort": "xhigh"}})
    check(m.stop_reason == "end_turn", "output_config effort xhigh on Opus 4.7")
    data = "A" * 5_242_884
    image = {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": data}}
    try:
        bedrock.messages.create(model="global.anthropic.claude-opus-4-7", max_tokens=100,
                                messages=[{"role": "user", "content": [image, {"type": "text", "text": "What is it?"}]}])
        raise AssertionError("an image over 5 MB accepted")
    except anthropic.BadRequestError as e:
        check(e.body["message"] == "messages.0.content.0.image.source.base64: image exceeds 5 MB maximum: "
              "5242884 bytes > 5242880 bytes", "an image over 5 MB of base64: " + e.body["message"][:60])
    # The declared type: one of Claude's four (anthropics/claude-code#2438), and the bytes' own
    # (Anthropic's 2026 text, LaoshuBaby/liulianmao#11); a PNG labelled image/png is served.
    png = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
    for media, text in [("image/bmp", "messages.0.content.1.image.source.base64.media_type: Input should be "
                                      "'image/jpeg', 'image/png', 'image/gif' or 'image/webp'"),
                        ("image/jpeg", "messages.0.content.1.image.source.base64: The image was specified using the "
                                       "image/jpeg media type, but the image appears to be a image/png image"),
                        ("image/png", None)]:
        image = {"type": "image", "source": {"type": "base64", "media_type": media, "data": png}}
        ask = [{"role": "user", "content": [{"type": "text", "text": "What is it?"}, image]}]
        try:
            m = bedrock.messages.create(model="global.anthropic.claude-opus-4-7", max_tokens=100, messages=ask)
            check(text is None and m.stop_reason == "end_turn", f"a PNG as {media}: served")
        except anthropic.BadRequestError as e:
            check(e.status_code == 400 and e.body["message"] == text, f"a PNG as {media}: " + e.body["message"][:70])
    # Claude's dimension limits, Anthropic's texts (anthropics/claude-code#11576, #49537; on Bedrock's
    # InvokeModel unconfirmed): 8000 px, and 2000 px once a request has more than 20 images.
    def png_block(w):
        data = base64.b64encode(png_image(w, 2)).decode()
        return {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": data}}
    for images, width, text in [
            (1, 8001, "messages.0.content.0.image.source.base64.data: At least one of the image dimensions exceed max "
                      "allowed size: 8000 pixels"),
            (21, 2001, "messages.0.content.0.image.source.base64.data: At least one of the image dimensions exceed "
                       "max allowed size for many-image requests: 2000 pixels"),
            (21, 2000, None), (1, 8000, None)]:
        ask = [{"role": "user", "content": [png_block(width) for _ in range(images)] + [{"type": "text", "text": "What?"}]}]
        try:
            m = bedrock.messages.create(model="global.anthropic.claude-opus-4-7", max_tokens=100, messages=ask)
            check(text is None and m.stop_reason == "end_turn", f"{images} PNG(s) {width} px wide: served")
        except anthropic.BadRequestError as e:
            check(e.status_code == 400 and e.body["message"] == text, f"{images} PNG(s) {width} px wide: " + str(e)[-60:])
    # Two user turns in a row: Bedrock's InvokeModel does not merge them as Anthropic's API does; it
    # answers in Anthropic's words (Giskard-AI/giskard-oss#1933, anthropics/claude-code#1162; the
    # first turn's role: anthropics/anthropic-sdk-typescript#622).
    for turns, text in [(["user", "user"], 'messages: roles must alternate between "user" and "assistant", but found '
                                           'multiple "user" roles in a row'),
                        (["assistant", "user"], 'messages: first message must use the "user" role')]:
        try:
            bedrock.messages.create(model="global.anthropic.claude-opus-4-7", max_tokens=100,
                                    messages=[{"role": r, "content": "Hello"} for r in turns])
            raise AssertionError(f"{turns} accepted")
        except anthropic.BadRequestError as e:
            check(e.status_code == 400 and e.body == {"message": text}, f"turns {turns} on InvokeModel: " + str(e)[-70:])


async def async_client(emu):
    bedrock = AsyncAnthropicBedrock(aws_access_key=ACCESS_KEY_ID, aws_secret_key=SECRET_ACCESS_KEY,
                                    aws_region="us-east-1", base_url=emu.url, max_retries=0)
    many = await asyncio.gather(*[bedrock.messages.create(model=OPUS, max_tokens=100, messages=MSGS)
                                  for _ in range(4)])
    async with bedrock.messages.stream(model=OPUS, max_tokens=100, messages=MSGS) as s:
        text = "".join([t async for t in s.text_stream])
    # (Identical bodies get identical replies: the emulator seeds them from the body; tool use
    # ids, as on Bedrock, are new on every call.)
    check(len(many) == 4 and all(m.content[0].text == text for m in many),
          "AsyncAnthropicBedrock: 4 concurrent creates and a stream, same text")


def application_profile():
    """`model=` an application inference profile ARN of the configuration: the SDK puts it in
    the path percent-encoded (`/` as %2F) and signs that; the emulator invokes the source."""
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "profiles.json")
        with open(path, "w") as f:
            json.dump([{"id": "frontdesk001", "name": "front desk",
                        "model_source": "us.anthropic.claude-haiku-4-5-20251001-v1:0"}], f)
        with Emulator("--application-profiles", path) as emu:
            c = AnthropicBedrock(aws_access_key=ACCESS_KEY_ID, aws_secret_key=SECRET_ACCESS_KEY, aws_region="us-east-1",
                                 base_url=emu.url, max_retries=0)
            arn = "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/frontdesk001"
            pinned = {"anthropic_version": "bedrock-2023-05-31"}
            m = c.messages.create(model=arn, max_tokens=100, messages=MSGS, extra_body=pinned)
            check(m.model == "claude-haiku-4-5-20251001" and m.content[0].text,
                  "AnthropicBedrock on an application profile ARN: the source model answers")
            with c.messages.stream(model=arn, max_tokens=100, messages=MSGS, extra_body=pinned) as s:
                check(s.get_final_message().stop_reason == "end_turn", "and streams")
            try:
                c.messages.create(model=arn, max_tokens=100, messages=MSGS)
                raise AssertionError("2026-10-21 accepted on Haiku 4.5 through a profile")
            except anthropic.BadRequestError as e:
                check("Invalid API version" in str(e), "the source's rules apply (SDK default anthropic_version)")


if __name__ == "__main__":
    main()
