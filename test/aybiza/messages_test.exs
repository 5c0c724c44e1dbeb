defmodule Aybiza.MessagesTest do
  # The Anthropic Messages API transport end to end: Elixir -> NIF -> engine -> SSE over
  # HTTP/1.1 from a scripted server on 127.0.0.1 (below), which answers with exact bytes and
  # reports every request it got (path, headers, JSON body) to the test process.
  use ExUnit.Case, async: false

  alias Aybiza.Bedrock

  @opus "us.anthropic.claude-opus-4-7"

  defmodule Json do
    @moduledoc false
    # A small JSON encoder/decoder for the test server (the library has no JSON dependency).

    def encode!(nil), do: "null"
    def encode!(true), do: "true"
    def encode!(false), do: "false"
    def encode!(n) when is_integer(n) or is_float(n), do: to_string(n)
    def encode!(a) when is_atom(a), do: encode!(Atom.to_string(a))

    def encode!(s) when is_binary(s) do
      escaped =
        for <<c::utf8 <- s>>, into: "" do
          case c do
            ?" -> "\\\""
            ?\\ -> "\\\\"
            ?\n -> "\\n"
            ?\r -> "\\r"
            c when c < 0x20 -> "\\u" <> String.pad_leading(Integer.to_string(c, 16), 4, "0")
            c -> <<c::utf8>>
          end
        end

      ~s("#{escaped}")
    end

    def encode!(l) when is_list(l), do: "[" <> Enum.map_join(l, ",", &encode!/1) <> "]"

    def encode!(m) when is_map(m),
      do:
        "{" <>
          Enum.map_join(m, ",", fn {k, v} -> encode!(to_string(k)) <> ":" <> encode!(v) end) <>
          "}"

    def decode!(s) do
      {v, rest} = value(ws(s))
      "" = ws(rest)
      v
    end

    defp ws(<<c, r::binary>>) when c in ~c" \t\r\n", do: ws(r)
    defp ws(s), do: s

    defp value("{" <> r), do: object(ws(r), %{})
    defp value("[" <> r), do: array(ws(r), [])
    defp value("\"" <> r), do: string(r, "")
    defp value("true" <> r), do: {true, r}
    defp value("false" <> r), do: {false, r}
    defp value("null" <> r), do: {nil, r}

    defp value(s) do
      [num] = Regex.run(~r/^-?\d+(\.\d+)?([eE][-+]?\d+)?/, s)
      rest = binary_part(s, byte_size(num), byte_size(s) - byte_size(num))
      v = if num =~ ~r/[.eE]/, do: String.to_float(num), else: String.to_integer(num)
      {v, rest}
    end

    defp object("}" <> r, acc), do: {acc, r}

    defp object("\"" <> r, acc) do
      {k, r} = string(r, "")
      ":" <> r = ws(r)
      {v, r} = value(ws(r))
      acc = Map.put(acc, k, v)

      case ws(r) do
        "," <> r -> object(ws(r), acc)
        "}" <> r -> {acc, r}
      end
    end

    defp array("]" <> r, acc), do: {Enum.reverse(acc), r}

    defp array(s, acc) do
      {v, r} = value(s)

      case ws(r) do
        "," <> r -> array(ws(r), [v | acc])
        "]" <> r -> {Enum.reverse([v | acc]), r}
      end
    end

    defp string("\"" <> r, acc), do: {acc, r}
    defp string("\\n" <> r, acc), do: string(r, acc <> "\n")
    defp string("\\r" <> r, acc), do: string(r, acc <> "\r")
    defp string("\\t" <> r, acc), do: string(r, acc <> "\t")

    defp string("\\u" <> <<h::binary-size(4), r::binary>>, acc),
      do: string(r, acc <> <<String.to_integer(h, 16)::utf8>>)

    defp string("\\" <> <<c, r::binary>>, acc), do: string(r, acc <> <<c>>)
    defp string(<<c::utf8, r::binary>>, acc), do: string(r, acc <> <<c::utf8>>)
  end

  defmodule SseServer do
    @moduledoc false
    # `answer.(request)` returns `%{status:, headers:, pieces:, pause:, cut:}`; pieces are
    # written as HTTP chunks with `pause` ms before each; `cut: true` drops the connection
    # instead of ending the body.

    def start(answer) do
      {:ok, listen} =
        :gen_tcp.listen(0, [:binary, active: false, reuseaddr: true, ip: {127, 0, 0, 1}])

      {:ok, port} = :inet.port(listen)
      test = self()
      pid = spawn_link(fn -> accept(listen, answer, test) end)
      :ok = :gen_tcp.controlling_process(listen, pid)
      "http://127.0.0.1:#{port}"
    end

    defp accept(listen, answer, test) do
      {:ok, sock} = :gen_tcp.accept(listen)
      handler = spawn(fn -> receive(do: (:go -> handle(sock, answer, test))) end)
      :ok = :gen_tcp.controlling_process(sock, handler)
      send(handler, :go)
      accept(listen, answer, test)
    end

    defp handle(sock, answer, test) do
      {head, rest} = read_head(sock, "")
      [request_line | header_lines] = String.split(head, "\r\n", trim: true)
      [_method, path | _] = String.split(request_line, " ")

      headers =
        for line <- header_lines, [k, v] <- [String.split(line, ": ", parts: 2)], into: %{} do
          {String.downcase(k), v}
        end

      length = String.to_integer(Map.get(headers, "content-length", "0"))
      body = read_body(sock, rest, length)
      request = %{path: path, headers: headers, body: Aybiza.MessagesTest.Json.decode!(body)}
      send(test, {:sse_request, request})
      reply = answer.(request)

      status_line = "HTTP/1.1 #{reply.status} X\r\n"

      header_block =
        Enum.map_join(reply.headers, "", fn {k, v} -> "#{k}: #{v}\r\n" end) <>
          "transfer-encoding: chunked\r\nconnection: close\r\n\r\n"

      :ok = :gen_tcp.send(sock, status_line <> header_block)

      Enum.each(reply.pieces, fn piece ->
        if reply.pause > 0, do: Process.sleep(reply.pause)
        :gen_tcp.send(sock, [Integer.to_string(byte_size(piece), 16), "\r\n", piece, "\r\n"])
      end)

      unless reply.cut, do: :gen_tcp.send(sock, "0\r\n\r\n")
      Process.sleep(50)
      :gen_tcp.close(sock)
    end

    defp read_head(sock, acc) do
      case :binary.split(acc, "\r\n\r\n") do
        [head, rest] ->
          {head, rest}

        [_] ->
          {:ok, data} = :gen_tcp.recv(sock, 0, 5_000)
          read_head(sock, acc <> data)
      end
    end

    defp read_body(_sock, acc, length) when byte_size(acc) >= length, do: acc

    defp read_body(sock, acc, length) do
      {:ok, data} = :gen_tcp.recv(sock, 0, 5_000)
      read_body(sock, acc <> data, length)
    end
  end

  # --- scripts -------------------------------------------------------------------------

  defp event(name, data), do: "event: #{name}\r\ndata: #{Json.encode!(data)}\r\n\r\n"

  defp delta(index, delta),
    do: event("content_block_delta", %{type: "content_block_delta", index: index, delta: delta})

  defp stream_head do
    event("message_start", %{
      type: "message_start",
      message: %{
        id: "msg_1",
        type: "message",
        role: "assistant",
        content: [],
        usage: %{input_tokens: 1200, cache_read_input_tokens: 0, output_tokens: 1}
      }
    }) <>
      event("content_block_start", %{
        type: "content_block_start",
        index: 0,
        content_block: %{type: "thinking", thinking: ""}
      }) <>
      delta(0, %{type: "thinking_delta", thinking: "The caller wants hours."}) <>
      delta(0, %{type: "signature_delta", signature: "c2ln"}) <>
      event("content_block_stop", %{type: "content_block_stop", index: 0}) <>
      event("ping", %{type: "ping"}) <>
      event("content_block_start", %{
        type: "content_block_start",
        index: 1,
        content_block: %{type: "text", text: ""}
      }) <>
      Enum.map_join(
        ["We open ", "at 9 a.m. ", "tomorrow. ", "Dr. Smith ", "is in at ", "10:30."],
        &delta(1, %{type: "text_delta", text: &1})
      )
  end

  defp stream_tail do
    event("content_block_stop", %{type: "content_block_stop", index: 1}) <>
      event("content_block_start", %{
        type: "content_block_start",
        index: 2,
        content_block: %{type: "tool_use", id: "toolu_9", name: "book", input: %{}}
      }) <>
      delta(2, %{type: "input_json_delta", partial_json: "{\"slot\": "}) <>
      delta(2, %{type: "input_json_delta", partial_json: "\"10:30\"}"}) <>
      event("content_block_stop", %{type: "content_block_stop", index: 2}) <>
      event("message_delta", %{
        type: "message_delta",
        delta: %{stop_reason: "tool_use"},
        usage: %{output_tokens: 60}
      }) <>
      event("message_stop", %{type: "message_stop"})
  end

  defp sse(body, opts \\ []) do
    size = Keyword.get(opts, :piece, 11)

    %{
      status: Keyword.get(opts, :status, 200),
      headers:
        Keyword.get(opts, :headers, [
          {"content-type", "text/event-stream"},
          {"x-amzn-requestid", "rid-1"}
        ]),
      pieces:
        for(<<piece::binary-size(size) <- pad(body, size)>>, do: piece) ++ [rest(body, size)],
      pause: Keyword.get(opts, :pause, 0),
      cut: Keyword.get(opts, :cut, false)
    }
    |> Map.update!(:pieces, fn pieces -> Enum.reject(pieces, &(&1 == "")) end)
  end

  # Whole pieces of `size` bytes, then the remainder as its own piece.
  defp pad(body, size), do: binary_part(body, 0, byte_size(body) - rem(byte_size(body), size))

  defp rest(body, size),
    do:
      binary_part(body, byte_size(body) - rem(byte_size(body), size), rem(byte_size(body), size))

  defp json_reply(status, body, headers \\ []) do
    %{
      status: status,
      headers: [{"content-type", "application/json"} | headers],
      pieces: [Json.encode!(body)],
      pause: 0,
      cut: false
    }
  end

  defp opts(url, extra \\ []) do
    Keyword.merge(
      [endpoint: url, region: "us-west-2", credentials: {:static, "AKIDEXAMPLE", "s3cr3t-key"}],
      extra
    )
  end

  defp request(extra \\ %{}) do
    Map.merge(
      %{
        model_id: @opus,
        system: "You are a clinic's receptionist.",
        messages: [%{role: :user, content: "When are you open tomorrow?"}],
        inference_config: %{max_tokens: 400},
        tool_config: %{
          tools: [
            %{
              tool_spec: %{
                name: "book",
                input_schema: %{json: %{"type" => "object"}}
              }
            }
          ]
        }
      },
      extra
    )
  end

  defp collect(ref, acc \\ []) do
    receive do
      {:aybiza_bedrock, ^ref, {:done, _} = e} -> Enum.reverse([e | acc])
      {:aybiza_bedrock, ^ref, {:error, _} = e} -> Enum.reverse([e | acc])
      {:aybiza_bedrock, ^ref, e} -> collect(ref, [e | acc])
    after
      10_000 -> flunk("no terminal event; got #{inspect(Enum.reverse(acc))}")
    end
  end

  defp assert_one_terminal(ref) do
    refute_receive {:aybiza_bedrock, ^ref, _}, 100
  end

  # --- tests ---------------------------------------------------------------------------

  test "api: :auto streams Opus 4.7 over SSE with sentences, thinking, a tool call and exact cost" do
    url = SseServer.start(fn _ -> sse(stream_head() <> stream_tail()) end)
    {:ok, ref} = Bedrock.stream(request(), opts(url))
    events = collect(ref)
    assert_one_terminal(ref)

    assert_received {:sse_request, req}
    assert req.path == "/anthropic/v1/messages"
    assert req.body["anthropic_version"] == "bedrock-2023-05-31"
    assert req.body["model"] == @opus
    assert req.body["stream"] == true

    assert req.body["system"] == [
             %{"type" => "text", "text" => "You are a clinic's receptionist."}
           ]

    assert [%{"name" => "book"}] = req.body["tools"]

    assert req.headers["authorization"] =~
             ~r"^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/\d{8}/us-west-2/bedrock/aws4_request"

    refute inspect(req.headers) =~ "s3cr3t-key"

    assert hd(events) == :message_start
    assert :thinking_started in events
    assert {:thinking, "The caller wants hours."} in events

    assert for({:sentence, seq, text} <- events, do: {seq, text}) == [
             {0, "We open at 9 a.m. tomorrow."},
             {1, "Dr. Smith is in at 10:30."}
           ]

    assert {:tool_use, %{id: "toolu_9", name: "book", input: %{"slot" => "10:30"}}} in events
    assert {:stop_reason, :tool_use} in events

    {:done, summary} = List.last(events)
    assert summary.usage.input_tokens == 1200
    assert summary.usage.output_tokens == 60
    assert summary.request_id == "rid-1"
    assert summary.text == "We open at 9 a.m. tomorrow. Dr. Smith is in at 10:30."

    assert [
             %{"reasoning_content" => %{"text" => _, "signature" => "c2ln"}},
             %{"text" => _},
             %{"tool_use" => %{"tool_use_id" => "toolu_9", "name" => "book"}}
           ] = summary.content

    # The cost is the catalog's exact price for the us. profile, not an estimate.
    exact = Bedrock.cost!(@opus, summary.usage)
    assert exact.price_percent == 110
    assert summary.cost.nanodollars == exact.nanodollars
    # 1,200 input at $5.50/MTok and 60 output at $27.50/MTok (us. profile, +10%).
    assert summary.cost.nanodollars == 1200 * 5500 + 60 * 27_500
    refute summary.cost.estimated?
  end

  test "the voice turn on the Messages-API path merges same-role turns too (one request builder)" do
    url = SseServer.start(fn _ -> sse(stream_head() <> stream_tail(), piece: 4096) end)

    history = [
      %{role: :user, content: [%{text: "Hi, I need to move my appointment."}]},
      %{role: :assistant, content: [%{text: "Sure, which day works for you?"}]},
      # Barge-in: the caller spoke twice in a row.
      %{role: :user, content: "Friday if possible."}
    ]

    assert {:ok, _summary} =
             Aybiza.AWS.BedrockClient.generate_response(
               "Actually, make it Monday.",
               %{conversation_history: history},
               model_id: @opus,
               region: "us-west-2",
               stream: false,
               client_opts: opts(url)
             )

    assert_received {:sse_request, req}
    # The Anthropic Messages body (Converse would have no "messages" with string roles here).
    assert req.body["anthropic_version"] == "bedrock-2023-05-31" or req.body["model"] != nil
    assert Enum.map(req.body["messages"], & &1["role"]) == ["user", "assistant", "user"]
    last = List.last(req.body["messages"])["content"]
    assert Enum.map(last, & &1["text"]) == ["Friday if possible.", "Actually, make it Monday."]
  end

  test "messages/2 on mantle with a Bedrock API key; count_tokens/2 over the Messages API" do
    url =
      SseServer.start(fn
        %{path: "/anthropic/v1/messages/count_tokens"} -> json_reply(200, %{input_tokens: 321})
        _ -> sse(stream_head() <> stream_tail(), piece: 4096)
      end)

    api_key = [credentials: {:api_key, "ABSKexamplekey"}, messages_endpoint: :mantle]
    {:ok, ref} = Bedrock.messages(request(), opts(url, api_key))
    assert {:done, _} = List.last(collect(ref))
    assert_received {:sse_request, req}
    assert req.headers["x-api-key"] == "ABSKexamplekey"
    assert req.headers["anthropic-version"] == "2023-06-01"
    assert req.body["model"] == "anthropic.claude-opus-4-7"
    refute Map.has_key?(req.body, "anthropic_version")

    assert {:ok, 321} = Bedrock.count_tokens(request(), opts(url, api_key))
    assert_received {:sse_request, count_req}
    assert count_req.path == "/anthropic/v1/messages/count_tokens"
    refute Map.has_key?(count_req.body, "max_tokens")
    assert Bedrock.count_tokens!(request(), opts(url, api_key)) == 321
  end

  test "an error event mid-stream is one terminal error with what was delivered" do
    body =
      stream_head() <>
        event("error", %{type: "error", error: %{type: "overloaded_error", message: "Overloaded"}})

    url = SseServer.start(fn _ -> sse(body) end)
    {:ok, ref} = Bedrock.stream(request(), opts(url))
    events = collect(ref)
    assert_one_terminal(ref)
    {:error, error} = List.last(events)
    assert error.reason == :service_unavailable
    assert error.phase == :mid_stream
    assert error.delivered.text == "We open at 9 a.m. tomorrow. Dr. Smith is in at 10:30."
    # The second sentence was delivered as text but never certain to be finished.
    assert error.delivered.sentences == 1
    assert error.delivered.cost.estimated?
  end

  test "truncated and malformed streams end with one terminal error; exact_token_counts" do
    url =
      SseServer.start(fn
        %{path: "/anthropic/v1/messages/count_tokens"} -> json_reply(200, %{input_tokens: 1500})
        %{body: %{"system" => [%{"text" => "cut"}]}} -> sse(stream_head(), cut: true)
        %{body: %{"system" => [%{"text" => "garbage"}]}} -> sse("data: {nope\n\n")
        _ -> sse(stream_head())
      end)

    {:ok, ref} = Bedrock.stream(request(%{system: "cut"}), opts(url))
    {:error, e} = List.last(collect(ref))
    assert_one_terminal(ref)
    # A cut connection is :connect, as on ConverseStream (error_transport_test.exs).
    assert e.reason == :connect
    assert e.phase == :mid_stream
    assert e.delivered.exact_input_tokens == nil

    {:ok, ref} = Bedrock.stream(request(%{system: "cut"}), opts(url, exact_token_counts: true))
    {:error, e} = List.last(collect(ref))
    assert e.delivered.exact_input_tokens == 1500
    assert e.delivered.cost.estimated?

    {:ok, ref} = Bedrock.stream(request(%{system: "ended"}), opts(url))
    {:error, e} = List.last(collect(ref))
    assert e.reason == :model_stream_error
    assert e.message =~ "message_stop"

    {:ok, ref} = Bedrock.stream(request(%{system: "garbage"}), opts(url))
    {:error, e} = List.last(collect(ref))
    assert e.reason == :protocol
  end

  test "HTTP errors map to Aybiza.Error reasons" do
    url =
      SseServer.start(fn
        %{body: %{"system" => [%{"text" => "throttle"}]}} ->
          json_reply(429, %{message: "Too many tokens, please wait before trying again."}, [
            {"x-amzn-errortype", "ThrottlingException"}
          ])

        _ ->
          json_reply(403, %{message: "The security token included in the request is invalid."}, [
            {"x-amzn-errortype", "UnrecognizedClientException"}
          ])
      end)

    {:ok, ref} = Bedrock.stream(request(%{system: "throttle"}), opts(url))
    assert [{:error, e}] = collect(ref)
    assert e.reason == :throttled
    assert e.status == 429
    assert e.phase == :before_stream

    {:ok, ref} = Bedrock.stream(request(), opts(url))
    assert [{:error, e}] = collect(ref)
    assert e.reason == :invalid_credentials
  end

  test "cancel and the idle timeout" do
    url = SseServer.start(fn _ -> sse(stream_head() <> stream_tail(), piece: 60, pause: 120) end)

    {:ok, ref} = Bedrock.stream(request(), opts(url))
    assert_receive {:aybiza_bedrock, ^ref, :message_start}, 5_000
    :ok = Bedrock.cancel(ref)
    {:error, e} = List.last(collect(ref))
    assert e.reason == :cancelled
    assert_one_terminal(ref)

    {:ok, ref} = Bedrock.stream(request(), opts(url, timeouts: [idle: 50]))
    {:error, e} = List.last(collect(ref))
    assert e.reason == :idle_timeout
  end

  test "api selection and bad input fail before any network" do
    url = SseServer.start(fn _ -> flunk("no request may reach the network") end)

    # Nova is not served on the Messages API.
    nova = request(%{model_id: "us.amazon.nova-pro-v1:0", tool_config: nil})
    nova = Map.delete(nova, :tool_config)

    assert {:error, %Aybiza.Error{reason: :invalid_request} = e} =
             Bedrock.messages(nova, opts(url))

    assert e.message =~ "Messages API"

    # Converse-only options on the Messages API are refused, not dropped.
    assert {:error, %Aybiza.Error{reason: :invalid_request} = e} =
             Bedrock.messages(
               request(%{guardrail_config: %{guardrail_identifier: "g", guardrail_version: "1"}}),
               opts(url)
             )

    assert e.message =~ "guardrail_config"

    assert_raise ArgumentError, ~r/:api must be/, fn ->
      Bedrock.stream(request(), opts(url, api: :grpc))
    end

    assert_raise ArgumentError, ~r/:messages_endpoint must be/, fn ->
      Bedrock.stream(request(), opts(url, messages_endpoint: :moon))
    end

    refute_received {:sse_request, _}
  end

  describe "conversation memory trimmed to a token budget" do
    alias Aybiza.Bedrock.ConversationMemory, as: Memory

    setup do
      name = Module.concat(__MODULE__, "M#{System.unique_integer([:positive])}")
      start_supervised!({Memory.Supervisor, name: name, store: Memory.EtsStore})

      call = "call-#{System.unique_integer([:positive])}"

      for i <- 1..5 do
        :ok =
          Memory.remember(call, %{role: :user, content: "Question #{i} about my order."},
            memory: name
          )

        :ok = Memory.remember(call, %{role: :assistant, content: "Answer #{i}."}, memory: name)
      end

      %{mem: name, call: call}
    end

    test "exact counts by CountTokens, with a binary search", %{mem: mem, call: call} do
      # 100 tokens per message: the budget of 450 keeps three messages.
      url =
        SseServer.start(fn %{path: "/anthropic/v1/messages/count_tokens", body: body} ->
          json_reply(200, %{input_tokens: 100 * length(body["messages"])})
        end)

      messages =
        Memory.build_messages_with_memory(call, "And now?",
          memory: mem,
          max_input_tokens: 450,
          count_tokens: [model_id: @opus, system: "Be brief."] ++ opts(url)
        )

      assert Enum.map(messages, & &1.content) == [
               [%{text: "Question 5 about my order."}],
               [%{text: "Answer 5."}],
               [%{text: "And now?"}]
             ]

      requests = collect_requests([])
      assert length(requests) <= 5

      assert Enum.all?(
               requests,
               &(&1.body["system"] == [%{"type" => "text", "text" => "Be brief."}])
             )
    end

    test "estimates without :count_tokens; the prompt is always kept", %{mem: mem, call: call} do
      all = Memory.build_messages_with_memory(call, "And now?", memory: mem)
      assert length(all) == 11

      some =
        Memory.build_messages_with_memory(call, "And now?", memory: mem, max_input_tokens: 40)

      assert length(some) < 11 and length(some) > 1
      assert List.last(some).content == [%{text: "And now?"}]
      assert hd(some).role == :user

      assert [%{content: [%{text: "And now?"}]}] =
               Memory.build_messages_with_memory(call, "And now?",
                 memory: mem,
                 max_input_tokens: 1
               )

      assert_raise ArgumentError, ~r/max_input_tokens/, fn ->
        Memory.build_messages_with_memory(call, "x", memory: mem, max_input_tokens: 0)
      end
    end
  end

  defp collect_requests(acc) do
    receive do
      {:sse_request, req} -> collect_requests([req | acc])
    after
      0 -> Enum.reverse(acc)
    end
  end

  describe "against the emulator's Messages-API routes" do
    alias Aybiza.Bedrock.Emulator

    @reply "Thanks for calling. Dr. Smith is in at 10:30 a.m. tomorrow. Anything else?"

    setup do
      emulator =
        start_supervised!(
          {Emulator,
           api_key: "emu-key",
           rules: [
             %{prompt_contains: "hours", reply: @reply},
             %{
               prompt_contains: "slow",
               reply: "One. Two. Three. Four. Five. Six.",
               pacing: %{tps: 4, delta_chars: 4}
             },
             %{
               prompt_contains: "overload",
               reply: @reply,
               faults: %{exception: "serviceUnavailableException", exception_after: 5}
             }
           ]}
        )

      creds = Emulator.credentials(emulator)

      opts = [
        endpoint: Emulator.url(emulator),
        region: "us-east-1",
        credentials: {:static, creds.access_key_id, creds.secret_access_key}
      ]

      %{emulator: emulator, opts: opts}
    end

    defp emu_request(model, prompt),
      do: %{
        model_id: model,
        messages: [%{role: :user, content: prompt}],
        inference_config: %{max_tokens: 300}
      }

    test "Opus 4.7 streams over SSE with sentences and exact cost; Haiku 4.5 stays on Converse",
         %{emulator: emulator, opts: opts} do
      {:ok, ref} = Bedrock.stream(emu_request(@opus, "What are your hours?"), opts)
      events = collect(ref)
      {:done, summary} = List.last(events)
      assert summary.text == @reply
      assert length(for {:sentence, _, _} <- events, do: 1) == 3
      assert summary.cost.nanodollars == Bedrock.cost!(@opus, summary.usage).nanodollars
      refute summary.cost.estimated?

      haiku = "us.anthropic.claude-haiku-4-5-20251001-v1:0"
      {:ok, ref} = Bedrock.stream(emu_request(haiku, "What are your hours?"), opts)
      assert {:done, %{text: @reply}} = List.last(collect(ref))

      counters = Emulator.counters(emulator)
      assert inspect(counters) =~ "messages-stream"
      assert inspect(counters) =~ "converse-stream"

      # The same models on mantle with the emulator's API key.
      mantle = Keyword.merge(opts, credentials: {:api_key, "emu-key"}, messages_endpoint: :mantle)
      {:ok, ref} = Bedrock.messages(emu_request(haiku, "What are your hours?"), mantle)
      assert {:done, %{text: @reply}} = List.last(collect(ref))
    end

    test "errors mid-stream, cancel, converse/2 and count_tokens/2", %{opts: opts} do
      {:ok, ref} = Bedrock.stream(emu_request(@opus, "overload"), opts)
      {:error, e} = List.last(collect(ref))
      assert e.reason == :service_unavailable
      assert e.phase == :mid_stream

      {:ok, ref} = Bedrock.stream(emu_request(@opus, "slow"), opts)
      assert_receive {:aybiza_bedrock, ^ref, {:text, _}}, 5_000
      :ok = Bedrock.cancel(ref)
      {:error, e} = List.last(collect(ref))
      assert e.reason == :cancelled

      assert {:ok, %{text: @reply, stop_reason: :end_turn}} =
               Bedrock.converse(emu_request(@opus, "What are your hours?"), opts)

      # Runtime CountTokens served Claude Sonnet 4 and older Claude models only (AWS's
      # count-tokens.html table), all past end of life: Sonnet 4 is refused before the
      # network, naming its replacement. Opus 4.7 is counted on the Messages API.
      sonnet4 = "anthropic.claude-sonnet-4-20250514-v1:0"

      assert {:error, %Aybiza.Error{reason: :model_end_of_life, message: message}} =
               Bedrock.count_tokens(emu_request(sonnet4, "What are your hours?"), opts)

      assert message =~ "anthropic.claude-sonnet-4-6"
      assert {:ok, m} = Bedrock.count_tokens(emu_request(@opus, "What are your hours?"), opts)
      assert m > 0

      assert {:error, %Aybiza.Error{reason: :validation}} =
               Bedrock.count_tokens(emu_request("amazon.nova-pro-v1:0", "hi"), opts)
    end
  end
end
