defmodule Aybiza.SonicEmulatorTest do
  # Nova Sonic sessions against the emulator's InvokeModelWithBidirectionalStream route (its
  # TLS listener, HTTP/2): every event, barge-in, a tool round, reconnect at a scaled-down
  # connection limit, the four ways a session ends early, and bad input mid-session.
  use ExUnit.Case, async: false

  alias Aybiza.Bedrock.{Emulator, Sonic, Tool}
  alias Aybiza.Error

  # Other modules assert live_streams() == 0: leave no session running behind.
  setup do
    on_exit(fn ->
      Enum.find_value(1..250, fn _ ->
        if Sonic.live_sessions() == 0, do: true, else: Process.sleep(20) && nil
      end)
    end)
  end

  @frame_bytes 1024

  defp start_emulator(extra \\ []) do
    sonic = Keyword.merge([speed: 20, turn_silence_ms: 300], Keyword.get(extra, :sonic, []))
    opts = [tls: true, sonic: sonic] ++ Keyword.delete(extra, :sonic)
    start_supervised!({Emulator, opts})
  end

  defp client(emulator, extra \\ []) do
    creds = Emulator.credentials(emulator)

    Keyword.merge(
      [
        region: "us-east-1",
        endpoint: Emulator.tls_url(emulator),
        tls_ca: Emulator.ca_pem(emulator),
        credentials: {:static, creds.access_key_id, creds.secret_access_key},
        response_timeout: 5_000
      ],
      extra
    )
  end

  # `ms` of a voice-band tone (speech to the emulator) in 32 ms frames, sent as fast as queued.
  defp speak(session, ms) do
    for frame <- 0..div(ms, 32) do
      pcm =
        for i <- 0..(div(@frame_bytes, 2) - 1), into: <<>> do
          t = frame * div(@frame_bytes, 2) + i
          <<round(6000 * :math.sin(2 * :math.pi() * 220 * t / 16_000))::little-signed-16>>
        end

      assert :ok = Sonic.send_audio(session, pcm)
    end

    :ok
  end

  # Events of `session` until `stop` matches one (included) or the terminal.
  defp events_until(session, stop, timeout \\ 10_000, acc \\ []) do
    receive do
      {:aybiza_bedrock, ^session, event} ->
        acc = [event | acc]

        cond do
          stop.(event) -> Enum.reverse(acc)
          match?({t, _} when t in [:done, :error], event) -> Enum.reverse(acc)
          true -> events_until(session, stop, timeout, acc)
        end
    after
      timeout -> flunk("timed out; events so far: #{inspect(Enum.reverse(acc), limit: 30)}")
    end
  end

  defp terminal(session, timeout \\ 10_000) do
    session |> events_until(fn _ -> false end, timeout) |> List.last()
  end

  defp final_assistant?({:transcript, :assistant, :final, _}), do: true
  defp final_assistant?(_), do: false

  defp wait_until(fun, tries \\ 200) do
    cond do
      fun.() -> :ok
      tries == 0 -> flunk("condition never held")
      true -> Process.sleep(20) && wait_until(fun, tries - 1)
    end
  end

  test "a spoken turn delivers every event, in order, and close ends with a summary" do
    emulator =
      start_emulator(
        rules: [%{transcript: "When do you open?", reply: "We open at nine tomorrow."}]
      )

    {:ok, s} = Sonic.start_session(client(emulator, system_prompt: "You are a store assistant."))
    assert_receive {:aybiza_bedrock, ^s, :session_started}, 5_000
    speak(s, 600)
    assert :ok = Sonic.end_turn(s)
    events = events_until(s, &final_assistant?/1)

    assert {:transcript, :user, :final, "When do you open?"} in events
    assert {:transcript, :assistant, :speculative, "We open at nine tomorrow."} in events
    assert {:transcript, :assistant, :final, "We open at nine tomorrow."} == List.last(events)
    audio = for {:audio, pcm} <- events, do: pcm
    assert audio != []
    assert Enum.all?(audio, &(rem(byte_size(&1), 2) == 0))
    assert Enum.any?(events, &match?({:content_end, %{type: :audio, stop_reason: :end_turn}}, &1))

    # Order: user transcript, then the preview, then audio, then the final text.
    index = fn pred -> Enum.find_index(events, pred) end
    user = index.(&match?({:transcript, :user, _, _}, &1))
    preview = index.(&match?({:transcript, :assistant, :speculative, _}, &1))
    first_audio = index.(&match?({:audio, _}, &1))
    assert user < preview and preview < first_audio

    rest = events_until(s, &match?({:usage, _}, &1))
    assert {:usage, usage} = List.last(rest)
    assert usage.total_tokens > 0

    assert :ok = Sonic.close(s)
    assert {:done, summary} = terminal(s)
    assert summary.connections == 1
    assert summary.audio_out_bytes == audio |> Enum.map(&byte_size/1) |> Enum.sum()
    assert summary.audio_in_bytes > 0
    assert {:user, "When do you open?"} in summary.transcript
    assert {:assistant, "We open at nine tomorrow."} in summary.transcript
    assert is_integer(summary.first_audio_us)
    assert [_ | _] = summary.request_ids
    refute_receive {:aybiza_bedrock, ^s, _}, 200
  end

  test "typed text gets a spoken answer (Nova 2 Sonic)" do
    emulator = start_emulator(rules: [%{prompt_contains: "hours", reply: "Nine to five."}])
    {:ok, s} = Sonic.start_session(client(emulator))
    assert :ok = Sonic.send_text(s, "What are your hours?")
    events = events_until(s, &final_assistant?/1)
    assert {:transcript, :assistant, :final, "Nine to five."} in events
    assert Enum.any?(events, &match?({:audio, _}, &1))
    Sonic.close(s)
    assert {:done, _} = terminal(s)
  end

  test "every speech model of the catalog the emulator serves answers a turn (Nova 2.5 Sonic)" do
    emulator = start_emulator(rules: [%{prompt_contains: "hours", reply: "Nine to five."}])
    {:ok, s} = Sonic.start_session(client(emulator, model: "amazon.nova-2-5-sonic"))
    assert_receive {:aybiza_bedrock, ^s, :session_started}, 5_000
    :ok = Sonic.send_text(s, "what are your hours")

    assert {:transcript, :assistant, :final, "Nine to five."} =
             s |> events_until(&final_assistant?/1) |> List.last()

    Sonic.close(s)
    assert {:done, %{model_id: "amazon.nova-2-5-sonic"}} = terminal(s)
  end

  test "speaking over the model is a barge-in" do
    emulator =
      start_emulator(
        sonic: [speed: 1],
        rules: [
          %{transcript: "Tell me a story", reply: String.duplicate("Once upon a time. ", 20)}
        ]
      )

    {:ok, s} = Sonic.start_session(client(emulator))
    speak(s, 600)
    :ok = Sonic.end_turn(s)
    assert [_ | _] = events_until(s, &match?({:audio, _}, &1))
    speak(s, 400)
    events = events_until(s, &(&1 == :barge_in))
    assert List.last(events) == :barge_in
    after_barge = events_until(s, &match?({:content_end, %{stop_reason: :interrupted}}, &1))
    refute Enum.member?(after_barge, :barge_in), "one barge-in per interruption"
    Sonic.close(s)
    assert {:done, summary} = terminal(s)
    assert summary.barge_ins == 1
  end

  test "a tool round: the tool runs with its approval and its result goes back" do
    parent = self()

    tool =
      Tool.new!(
        name: "get_weather",
        description: "Weather for a city",
        input_schema: %{"type" => "object", "properties" => %{"city" => %{"type" => "string"}}},
        approval: fn input, _ctx ->
          send(parent, {:approval, input})
          :ok
        end,
        execute: fn %{"city" => city} -> {:ok, %{"city" => city, "sky" => "sunny"}} end
      )

    emulator =
      start_emulator(
        rules: [
          %{
            transcript: "Weather in Oslo?",
            tool_uses: [%{name: "get_weather", input: %{"city" => "Oslo"}}],
            reply_after_tool: "It is sunny in Oslo."
          }
        ]
      )

    {:ok, s} = Sonic.start_session(client(emulator, tools: [tool]))
    speak(s, 600)
    :ok = Sonic.end_turn(s)
    events = events_until(s, &final_assistant?/1)

    assert {:tool_use, %{id: id, name: "get_weather", input: %{"city" => "Oslo"}}} =
             Enum.find(events, &match?({:tool_use, _}, &1))

    assert is_binary(id)
    assert_received {:approval, %{"city" => "Oslo"}}
    assert {:transcript, :assistant, :final, "It is sunny in Oslo."} = List.last(events)
    # The runner already answered: the id is no longer pending.
    assert {:error, %Error{reason: :invalid_request}} = Sonic.send_tool_result(s, id, "late")
    Sonic.close(s)
    assert {:done, %{tool_uses: 1}} = terminal(s)
  end

  test "tools of one turn run side by side; a denied tool never executes and the model hears why" do
    parent = self()

    lookup =
      Tool.new!(
        name: "lookup",
        description: "Look up",
        input_schema: %{"type" => "object"},
        execute: fn _ ->
          send(parent, :lookup_ran)
          {:ok, "found"}
        end
      )

    refund =
      Tool.new!(
        name: "refund",
        description: "Refund",
        input_schema: %{"type" => "object"},
        approval: fn _input, _ctx -> {:error, "refunds need a human"} end,
        execute: fn _ ->
          send(parent, :refund_ran)
          {:ok, "refunded"}
        end
      )

    emulator =
      start_emulator(
        rules: [
          %{
            prompt_contains: "refund",
            tool_uses: [%{name: "lookup", input: %{}}, %{name: "refund", input: %{}}],
            reply_after_tool: "A colleague will handle the refund."
          }
        ]
      )

    {:ok, s} = Sonic.start_session(client(emulator, tools: [lookup, refund]))
    :ok = Sonic.send_text(s, "I want a refund")
    events = events_until(s, &final_assistant?/1)
    assert length(for {:tool_use, _} <- events, do: 1) == 2

    assert {:transcript, :assistant, :final, "A colleague will handle the refund."} =
             List.last(events)

    assert_received :lookup_ran
    refute_received :refund_ran
    Sonic.close(s)
    assert {:done, %{tool_uses: 2}} = terminal(s)
  end

  test "a tool use without a runner is answered by the caller" do
    emulator =
      start_emulator(
        rules: [
          %{
            prompt_contains: "order",
            tool_uses: [%{name: "find_order", input: %{"n" => 7}}],
            reply_after_tool: "Your order ships today."
          }
        ]
      )

    # Offered, not run: the app answers the tool use itself.
    tool =
      Tool.new!(
        name: "find_order",
        description: "Find an order",
        input_schema: %{"type" => "object"},
        execute: fn _ -> raise "not run with run_tools: false" end
      )

    {:ok, s} = Sonic.start_session(client(emulator, tools: [tool], run_tools: false))
    :ok = Sonic.send_text(s, "Where is my order?")

    assert {:tool_use, %{id: id, name: "find_order", input: %{"n" => 7}}} =
             s |> events_until(&match?({:tool_use, _}, &1)) |> List.last()

    assert :ok = Sonic.send_tool_result(s, id, %{"status" => "shipping today"})
    assert {:error, %Error{reason: :invalid_request}} = Sonic.send_tool_result(s, id, "twice")
    events = events_until(s, &final_assistant?/1)
    assert {:transcript, :assistant, :final, "Your order ships today."} = List.last(events)
    Sonic.close(s)
    assert {:done, _} = terminal(s)
  end

  test "the connection is renewed before the (scaled) limit, carrying the conversation" do
    emulator =
      start_emulator(
        sonic: [connection_limit_ms: 1_500],
        rules: [%{prompt_contains: "name", reply: "I am the store assistant."}]
      )

    {:ok, s} = Sonic.start_session(client(emulator, reconnect_after: 700))
    :ok = Sonic.send_text(s, "What is your name?")
    assert [_ | _] = events_until(s, &final_assistant?/1)

    assert {:reconnected, 2} =
             s |> events_until(&match?({:reconnected, _}, &1), 5_000) |> List.last()

    # The renewed connection works, and outlives the first one's limit.
    :ok = Sonic.send_text(s, "Your name again?")
    assert [_ | _] = events_until(s, &final_assistant?/1)
    Process.sleep(1_000)
    Sonic.close(s)
    assert {:done, summary} = terminal(s)
    assert summary.connections >= 2
    assert {:user, "What is your name?"} in summary.transcript
  end

  test "ending early four ways frees the session and the stream" do
    emulator = start_emulator()
    before = Sonic.live_sessions()
    streams_before = Aybiza.Bedrock.live_streams()

    # 1. close/1
    {:ok, s} = Sonic.start_session(client(emulator))
    assert_receive {:aybiza_bedrock, ^s, :session_started}, 5_000
    Sonic.close(s)
    assert {:done, _} = terminal(s)

    # 2. the receiver exits
    receiver = spawn(fn -> receive(do: (:stop -> :ok)) end)
    {:ok, s2} = Sonic.start_session(client(emulator, to: receiver))
    Process.sleep(200)
    send(receiver, :stop)
    wait_until(fn -> Sonic.live_sessions() == before end)
    assert {:error, %Error{message: "the session is closed"}} = Sonic.send_audio(s2, <<0, 0>>)

    # 3. the receiver is killed while the model is speaking (audio in flight to it)
    talker =
      spawn(fn ->
        {:ok, s3} = Sonic.start_session(client(emulator, to: self()))
        :ok = Sonic.send_text(s3, "Tell me everything")
        receive(do: (:never -> :ok))
      end)

    wait_until(fn -> Sonic.live_sessions() == before + 1 end)
    Process.sleep(300)
    Process.exit(talker, :kill)
    wait_until(fn -> Sonic.live_sessions() == before end)

    # 4. the stream fails (the service resets it): one error terminal
    {:ok, s4} = Sonic.start_session(client(emulator))
    assert_receive {:aybiza_bedrock, ^s4, :session_started}, 5_000
    GenServer.stop(emulator)
    assert {:error, %Error{}} = terminal(s4)
    wait_until(fn -> Sonic.live_sessions() == before end)
    wait_until(fn -> Aybiza.Bedrock.live_streams() == streams_before end)
  end

  test "a session is one telemetry span: start, then one stop or exception" do
    parent = self()
    id = make_ref()

    :ok =
      Aybiza.Bedrock.Telemetry.attach(
        id,
        [
          [:aybiza_bedrock, :sonic, :start],
          [:aybiza_bedrock, :sonic, :stop],
          [:aybiza_bedrock, :sonic, :exception]
        ],
        fn event, m, meta, _ ->
          send(parent, {:telemetry, meta.session, List.last(event), m, meta})
        end
      )

    on_exit(fn -> Aybiza.Bedrock.Telemetry.detach(id) end)
    emulator = start_emulator(rules: [%{prompt_contains: "hi", reply: "Hello."}])

    {:ok, s} = Sonic.start_session(client(emulator))
    :ok = Sonic.send_text(s, "hi")
    assert [_ | _] = events_until(s, &final_assistant?/1)
    Sonic.close(s)
    assert {:done, _} = terminal(s)
    assert_receive {:telemetry, ^s, :start, _, %{model_id: "amazon.nova-2-sonic-v1:0"}}
    assert_receive {:telemetry, ^s, :stop, %{duration: d, output_tokens: out}, %{connections: 1}}
    assert d > 0 and out > 0

    receiver = spawn(fn -> receive(do: (:stop -> :ok)) end)
    {:ok, s2} = Sonic.start_session(client(emulator, to: receiver))
    assert_receive {:telemetry, ^s2, :start, _, _}
    send(receiver, :stop)
    assert_receive {:telemetry, ^s2, :exception, _, %{reason: :cancelled}}, 2_000
    refute_receive {:telemetry, ^s2, _, _, _}, 200
    refute_received {:telemetry, ^s, _, _, _}
  end

  test "service errors before and during the stream map to their reasons" do
    emulator = start_emulator()

    :ok = Emulator.set_faults(emulator, "throttle")
    {:ok, s} = Sonic.start_session(client(emulator))

    assert {:error, %Error{reason: :throttled, phase: :before_stream, retryable?: true}} =
             terminal(s)

    :ok = Emulator.set_faults(emulator, "error=ServiceUnavailableException")
    {:ok, s} = Sonic.start_session(client(emulator))
    assert {:error, %Error{reason: :service_unavailable, status: 503}} = terminal(s)

    # An exception frame after two output events, mid-answer.
    :ok = Emulator.set_faults(emulator, "exception=modelStreamErrorException@2")
    {:ok, s} = Sonic.start_session(client(emulator))
    :ok = Sonic.send_text(s, "hello")

    assert {:error, %Error{reason: :model_stream_error, phase: :mid_stream}} = terminal(s)

    # A reset connection.
    :ok = Emulator.set_faults(emulator, "reset@3")
    {:ok, s} = Sonic.start_session(client(emulator))
    :ok = Sonic.send_text(s, "hello")
    assert {:error, %Error{reason: reason}} = terminal(s)
    assert reason in [:connect, :protocol, :model_stream_error]
    :ok = Emulator.set_faults(emulator, nil)
  end

  test "no audio from the model within the response timeout ends the session" do
    emulator = start_emulator(pacing: [first_token_ms: 3_000])

    {:ok, s} = Sonic.start_session(client(emulator, response_timeout: 300))
    :ok = Sonic.send_text(s, "be slow")
    assert {:error, %Error{reason: :model_timeout, message: m}} = terminal(s)
    assert m =~ "no audio"
  end

  test "bad input mid-session is refused and the session keeps working" do
    emulator = start_emulator(rules: [%{prompt_contains: "hello", reply: "Hi there."}])
    {:ok, s} = Sonic.start_session(client(emulator))
    assert_receive {:aybiza_bedrock, ^s, :session_started}, 5_000
    assert {:error, %Error{reason: :invalid_request}} = Sonic.send_audio(s, <<1, 2, 3>>)
    assert {:error, %Error{reason: :invalid_request}} = Sonic.send_audio(s, <<1, 2>>, rate: 8_000)
    assert {:error, %Error{reason: :invalid_request}} = Sonic.send_tool_result(s, "nope", "x")
    assert {:error, %Error{reason: :invalid_request}} = Sonic.end_turn(s)
    :ok = Sonic.send_text(s, "hello")

    assert {:transcript, :assistant, :final, "Hi there."} =
             s |> events_until(&final_assistant?/1) |> List.last()

    Sonic.close(s)
    assert {:done, _} = terminal(s)
  end
end
