defmodule Aybiza.BedrockStreamTest do
  # The message protocol end to end: Elixir -> NIF -> engine -> real AWS SDK -> emulator.
  # async: false because the live-stream counter is global to the VM.
  use ExUnit.Case, async: false

  alias Aybiza.Bedrock
  alias Aybiza.Bedrock.Emulator

  @model "us.anthropic.claude-haiku-4-5-20251001-v1:0"
  @reply "Thanks for calling. Dr. Smith is in at 10:30 a.m. tomorrow. The fee is $3.50, plus tax. Anything else?"

  setup do
    emulator =
      start_supervised!(
        {Emulator,
         rules: [
           %{prompt_contains: "hours", reply: @reply},
           %{
             prompt_contains: "slow",
             reply: "One. Two. Three. Four. Five. Six.",
             pacing: %{tps: 4, delta_chars: 4}
           },
           %{
             prompt_contains: "order",
             reply: "Let me check that.",
             tool_uses: [%{name: "lookup_order", input: %{"order_id" => "A-17"}}]
           },
           %{
             prompt_contains: "think",
             reply: "Here is my answer.",
             thinking: "Let me reason about it."
           },
           %{prompt_contains: "throttle-before", faults: %{error: "ThrottlingException"}},
           %{
             prompt_contains: "break-mid",
             reply: @reply,
             faults: %{exception: "modelStreamErrorException", exception_after: 6}
           },
           %{prompt_contains: "stall", reply: @reply, faults: %{stall_after: 4}}
         ]}
      )

    creds = Emulator.credentials(emulator)

    opts = [
      endpoint: Emulator.url(emulator),
      region: "us-east-1",
      credentials: {:static, creds.access_key_id, creds.secret_access_key}
    ]

    %{opts: opts, emulator: emulator}
  end

  defp request(prompt, extra \\ %{}) do
    Map.merge(
      %{
        model_id: @model,
        messages: [%{role: :user, content: prompt}],
        inference_config: %{max_tokens: 512}
      },
      extra
    )
  end

  defp collect(ref, acc \\ []) do
    receive do
      {:aybiza_bedrock, ^ref, {:done, _} = event} -> Enum.reverse([event | acc])
      {:aybiza_bedrock, ^ref, {:error, _} = event} -> Enum.reverse([event | acc])
      {:aybiza_bedrock, ^ref, event} -> collect(ref, [event | acc])
    after
      15_000 -> flunk("no terminal message; got #{inspect(Enum.reverse(acc))}")
    end
  end

  defp assert_no_more(ref) do
    refute_receive {:aybiza_bedrock, ^ref, _}, 100
  end

  defp wait_live_zero(deadline_ms \\ 2_000) do
    started = System.monotonic_time(:millisecond)

    Stream.repeatedly(fn -> Bedrock.live_streams() end)
    |> Enum.find(fn n ->
      n == 0 or System.monotonic_time(:millisecond) - started > deadline_ms or
        (Process.sleep(1) && false)
    end)

    assert Bedrock.live_streams() == 0
  end

  test "streams every event kind in order with one terminal :done", %{opts: opts} do
    assert {:ok, ref} = Bedrock.stream(request("What are your hours?"), opts)
    assert is_reference(ref)
    events = collect(ref)
    assert_no_more(ref)

    assert hd(events) == :message_start
    assert Enum.any?(events, &match?({:first_token, us} when is_integer(us) and us > 0, &1))
    text = for {:text, t} <- events, into: "", do: t
    assert text == @reply

    assert for({:sentence, seq, s} <- events, do: {seq, s}) == [
             {0, "Thanks for calling."},
             {1, "Dr. Smith is in at 10:30 a.m. tomorrow."},
             {2, "The fee is $3.50, plus tax."},
             {3, "Anything else?"}
           ]

    assert {:stop_reason, :end_turn} in events

    assert {:usage, %{input_tokens: i, output_tokens: o}} =
             Enum.find(events, &match?({:usage, _}, &1))

    assert i > 0 and o > 0

    assert {:done, summary} = List.last(events)
    assert summary.text == @reply
    assert summary.sentences == 4
    assert summary.model_id == @model
    assert summary.region == "us-east-1"
    assert is_binary(summary.request_id)
    assert summary.content == [%{"text" => @reply}]
    assert summary.cost.nanodollars > 0
    assert summary.cost[:estimated?] == false
    assert summary.timings.first_token_us <= summary.timings.total_us
    assert is_integer(summary.timings.first_sentence_us)
  end

  test "tool use arrives decoded; thinking arrives but is never a sentence", %{opts: opts} do
    tools = %{
      tools: [
        %{
          tool_spec: %{
            name: "lookup_order",
            description: "Looks up an order",
            input_schema: %{
              json: %{"type" => "object", "properties" => %{"order_id" => %{"type" => "string"}}}
            }
          }
        }
      ]
    }

    {:ok, ref} = Bedrock.stream(request("Where is my order?", %{tool_config: tools}), opts)
    events = collect(ref)

    assert {:tool_use, %{id: id, name: "lookup_order", input: %{"order_id" => "A-17"}}} =
             Enum.find(events, &match?({:tool_use, _}, &1))

    assert is_binary(id)
    assert for({:sentence, _, s} <- events, do: s) == ["Let me check that."]
    assert {:done, %{stop_reason: :tool_use}} = List.last(events)

    thinking = %{
      inference_config: %{max_tokens: 4000},
      additional_model_request_fields: %{
        "thinking" => %{"type" => "enabled", "budget_tokens" => 1024}
      }
    }

    {:ok, ref} = Bedrock.stream(request("Please think", thinking), opts)
    events = collect(ref)
    started = Enum.find_index(events, &(&1 == :thinking_started))
    first = Enum.find_index(events, &match?({:thinking, _}, &1))
    assert started != nil and started < first
    assert for({:thinking, t} <- events, into: "", do: t) == "Let me reason about it."
    assert for({:sentence, _, s} <- events, do: s) == ["Here is my answer."]
    {:done, summary} = List.last(events)
    assert [%{"reasoning_content" => %{"signature" => sig}} | _] = summary.content
    assert is_binary(sig)
  end

  test "errors before and during the stream are %Aybiza.Error{} terminals", %{opts: opts} do
    {:ok, ref} = Bedrock.stream(request("throttle-before"), opts)
    assert [{:error, %Aybiza.Error{} = e}] = collect(ref)
    assert e.reason == :throttled
    assert e.status == 429
    assert e.code == "ThrottlingException"
    assert e.retryable?
    assert e.phase == :before_stream

    {:ok, ref} = Bedrock.stream(request("break-mid"), opts)
    events = collect(ref)

    assert {:error, %Aybiza.Error{reason: :model_stream_error, phase: :mid_stream} = e} =
             List.last(events)

    delivered_text = for {:text, t} <- events, into: "", do: t
    assert e.delivered.text == delivered_text
    assert e.delivered.sentences == length(for {:sentence, _, _} <- events, do: 1)
    assert e.delivered.cost.estimated? == true

    {:ok, ref} = Bedrock.stream(request("stall"), Keyword.put(opts, :timeouts, idle: 200))

    assert {:error, %Aybiza.Error{reason: :idle_timeout, phase: :mid_stream}} =
             List.last(collect(ref))
  end

  test "bad requests and configuration fail before any network", %{opts: opts} do
    bad =
      request("hi", %{
        messages: [%{role: :user, content: [%{image: %{format: :bmp, bytes: <<0, 1>>}}]}]
      })

    assert {:error, %Aybiza.Error{reason: :invalid_request, message: msg}} =
             Bedrock.stream(bad, opts)

    assert msg =~ "messages[0].content[0].image.format"

    assert {:error, %Aybiza.Error{reason: :invalid_region}} =
             Bedrock.stream(
               request("hi"),
               Keyword.put(opts, :region, "us-east-1.attacker.example")
             )

    assert {:error, %Aybiza.Error{reason: :invalid_endpoint}} =
             Bedrock.stream(
               request("hi"),
               Keyword.put(opts, :endpoint, "http://127.0.0.1:1/path")
             )

    assert_raise ArgumentError, fn -> Bedrock.stream(request("hi"), [{:bogus, 1} | opts]) end

    assert_raise ArgumentError, fn ->
      Bedrock.stream(request("hi"), [{:to, :not_a_pid} | opts])
    end
  end

  test "explicit cancel stops the task and sends one :cancelled terminal", %{opts: opts} do
    {:ok, ref} = Bedrock.stream(request("slow"), opts)
    assert_receive {:aybiza_bedrock, ^ref, {:text, _}}, 5_000
    assert Bedrock.live_streams() >= 1
    :ok = Bedrock.cancel(ref)
    wait_live_zero()
    assert {:error, %Aybiza.Error{reason: :cancelled}} = List.last(collect(ref))
    assert_no_more(ref)
    :ok = Bedrock.cancel(ref)
  end

  test "a cancelled stream's delivered text is the text its receiver was sent", %{opts: opts} do
    # The NIF keeps no copy of the text sent: it counts it and takes it from the summary.
    {:ok, ref} = Bedrock.stream(request("slow"), opts)
    before = until_sentence(ref, [])
    :ok = Bedrock.cancel(ref)
    events = before ++ collect(ref)

    assert {:error, %Aybiza.Error{reason: :cancelled, phase: :mid_stream} = e} = List.last(events)

    text = for {:text, t} <- events, into: "", do: t
    assert String.starts_with?(text, "One.")
    assert e.delivered.text == text
    assert e.delivered.chars == String.length(text)
    assert e.delivered.sentences == length(for {:sentence, _, _} <- events, do: 1)
  end

  defp until_sentence(ref, acc) do
    receive do
      {:aybiza_bedrock, ^ref, {:sentence, _, _} = event} -> Enum.reverse([event | acc])
      {:aybiza_bedrock, ^ref, event} -> until_sentence(ref, [event | acc])
    after
      5_000 -> flunk("no sentence; got #{inspect(Enum.reverse(acc))}")
    end
  end

  test "a receiver that dies stops its stream", %{opts: opts} do
    parent = self()

    receiver =
      spawn(fn ->
        receive do
          :stop -> :ok
        end
      end)

    {:ok, _ref} = Bedrock.stream(request("slow"), Keyword.put(opts, :to, receiver))
    Process.sleep(50)
    assert Bedrock.live_streams() >= 1
    Process.exit(receiver, :kill)
    wait_live_zero()
    send(parent, :ok)
  end

  test "a receiver that is already dead never leaks a task", %{opts: opts} do
    dead = spawn(fn -> :ok end)
    ref = Process.monitor(dead)
    assert_receive {:DOWN, ^ref, _, _, _}
    {:ok, _} = Bedrock.stream(request("slow"), Keyword.put(opts, :to, dead))
    wait_live_zero()
  end

  test "a stream whose caller exits and whose messages are gone is freed", %{opts: opts} do
    # The caller starts a stream for itself and exits without reading: the monitor on the
    # receiver (the caller) cancels, and the handle is garbage collected with the process.
    pid =
      spawn(fn ->
        {:ok, _ref} = Bedrock.stream(request("slow"), opts)
      end)

    ref = Process.monitor(pid)
    assert_receive {:DOWN, ^ref, _, _, _}
    wait_live_zero()
  end

  test "stream_events/2 ends after the terminal and cancels when halted early", %{opts: opts} do
    events =
      opts |> then(&Bedrock.stream_events(request("What are your hours?"), &1)) |> Enum.to_list()

    assert {:done, %{sentences: 4}} = List.last(events)

    first_two = Bedrock.stream_events(request("slow"), opts) |> Enum.take(2)
    assert length(first_two) == 2
    wait_live_zero()
    # Halting consumed everything of that stream, including its terminal message.
    refute_receive {:aybiza_bedrock, _, _}, 100
  end

  test "sentence options reach the segmenter; sentences: false turns it off", %{opts: opts} do
    {:ok, ref} = Bedrock.stream(request("What are your hours?"), [{:sentences, false} | opts])
    events = collect(ref)
    assert for({:sentence, _, _} <- events, do: 1) == []
    assert {:done, %{sentences: 0, text: @reply}} = List.last(events)

    # Merging short sentences: "Thanks for calling." (19 chars) joins the next one.
    {:ok, ref} =
      Bedrock.stream(request("What are your hours?"), [
        {:sentences, [merge_short: true, min_chars: 20]} | opts
      ])

    assert [first | _] = for({:sentence, _, s} <- collect(ref), do: s)
    assert first == "Thanks for calling. Dr. Smith is in at 10:30 a.m. tomorrow."
  end

  test "converse/2, converse!/2 and invoke_model/3", %{opts: opts} do
    assert {:ok, %{text: @reply, stop_reason: :end_turn, usage: %{output_tokens: n}}} =
             Bedrock.converse(request("hours?"), opts)

    assert n > 0
    assert %{text: @reply} = Bedrock.converse!(request("hours?"), opts)

    assert_raise Aybiza.Error, ~r/throttled/, fn ->
      Bedrock.converse!(request("throttle-before"), opts)
    end

    body = %{max_tokens: 100, messages: [%{role: "user", content: "hours?"}]}

    assert {:ok, %{text: @reply, body: %{"content" => [_ | _]}}} =
             Bedrock.invoke_model(@model, body, opts)

    {:ok, ref} = Bedrock.invoke_model_stream(@model, body, opts)
    events = collect(ref)
    assert length(for {:sentence, _, _} <- events, do: 1) == 4
    assert {:done, %{stop_reason: :end_turn}} = List.last(events)
  end

  test "warm/1 opens the connection ahead of the first call", %{opts: opts} do
    assert :ok = Bedrock.warm(opts)

    assert {:error, %Aybiza.Error{reason: :invalid_region}} =
             Bedrock.warm(Keyword.put(opts, :region, "nope"))
  end

  test "wrong credentials are rejected by signature verification without leaking the secret", %{
    opts: opts
  } do
    opts =
      Keyword.put(opts, :credentials, {:static, "AKIAIOSFODNN7EXAMPLE", "wrong-secret-value"})

    {:ok, ref} = Bedrock.stream(request("hi"), opts)
    assert [{:error, %Aybiza.Error{reason: :invalid_credentials, status: 403} = e}] = collect(ref)
    refute inspect(e) =~ "wrong-secret-value"

    refute inspect(Aybiza.Bedrock.Credentials.new({:static, "AKIAIOSFODNN7EXAMPLE", "s3cr3t"})) =~
             "s3cr3t"
  end

  test "200 concurrent streams each receive exactly their own ordered sentences", %{opts: opts} do
    parent = self()

    tasks =
      for i <- 1..200 do
        Task.async(fn ->
          prompt = "Question #{i} about my account balance"
          {:ok, ref} = Bedrock.stream(request(prompt), opts)
          events = collect(ref)
          assert_no_more(ref)
          {prompt, events}
        end)
      end

    for {prompt, events} <- Task.await_many(tasks, 60_000) do
      seqs = for {:sentence, seq, _} <- events, do: seq
      assert seqs == Enum.to_list(0..(length(seqs) - 1)), prompt
      assert {:done, summary} = List.last(events)
      assert summary.sentences == length(seqs)
      joined = Enum.join(for({:sentence, _, s} <- events, do: s), " ")
      assert String.split(joined) == String.split(summary.text), prompt
    end

    wait_live_zero()
    send(parent, :done)
  end
end
