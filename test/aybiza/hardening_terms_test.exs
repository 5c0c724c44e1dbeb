defmodule Aybiza.HardeningTermsTest do
  # Deep, wide, improper and huge terms through every NIF entry point that takes a term: each
  # returns an error (or raises ArgumentError for a programmer mistake), never crashes the VM,
  # never raises :nif_panicked. The randomized part is a plain generator with a fixed seed
  # list, so a failure names the seed that reproduces it.
  use ExUnit.Case, async: false

  alias Aybiza.Bedrock
  alias Aybiza.Bedrock.{Catalog, Cost, Emulator, Routing, Text}

  @model "anthropic.claude-haiku-4-5-20251001-v1:0"

  setup_all do
    {:ok, emulator} = Emulator.start_link(rules: [%{prompt_contains: "", reply: "Fine."}])
    %{opts: Aybiza.Bedrock.TestHelpers.emulator_opts(emulator)}
  end

  defp request(extra \\ %{}) do
    Map.merge(%{model_id: @model, messages: [%{role: :user, content: "hi"}]}, extra)
  end

  defp tool_round(json) do
    request(%{
      tool_config: %{
        tools: [%{tool_spec: %{name: "lookup", input_schema: %{json: %{"type" => "object"}}}}]
      },
      messages: [
        %{role: :user, content: "look it up"},
        %{
          role: :assistant,
          content: [%{tool_use: %{tool_use_id: "t1", name: "lookup", input: %{}}}]
        },
        %{
          role: :user,
          content: [%{tool_result: %{tool_use_id: "t1", content: [%{json: %{"r" => json}}]}}]
        }
      ]
    })
  end

  defp nested_list(depth), do: Enum.reduce(1..depth, "x", fn _, acc -> [acc] end)
  defp nested_map(depth), do: Enum.reduce(1..depth, "x", fn _, acc -> %{"a" => acc} end)

  defp invalid!(result) do
    assert {:error, %Aybiza.Error{reason: :invalid_request, message: message}} = result
    message
  end

  # Consumes whatever a started call sends, so no call outlives the test.
  defp settle({:ok, ref}) when is_reference(ref) do
    Bedrock.cancel(ref)

    receive do
      {:aybiza_bedrock, ^ref, {:done, _}} -> :ok
      {:aybiza_bedrock, ^ref, {:error, _}} -> :ok
    after
      10_000 -> flunk("no terminal for a started call")
    end

    Bedrock.flush(ref)
    {:ok, :started}
  end

  defp settle(other), do: other

  describe "depth" do
    test "100,000 levels of lists or maps anywhere return an error naming the path", %{opts: opts} do
      for deep <- [nested_list(100_000), nested_map(100_000)] do
        message =
          invalid!(
            Bedrock.stream(request(%{additional_model_request_fields: %{"x" => deep}}), opts)
          )

        assert message =~ "additional_model_request_fields.x"
        assert message =~ "max_depth"

        message =
          invalid!(
            Bedrock.converse(
              request(%{
                messages: [
                  %{
                    role: :user,
                    content: [
                      %{text: "a"},
                      %{tool_result: %{tool_use_id: "t", content: [%{json: %{"r" => deep}}]}}
                    ]
                  }
                ]
              }),
              opts
            )
          )

        assert message =~ "messages[0].content[1].tool_result.content[0].json.r"

        message = invalid!(Bedrock.invoke_model(@model, %{"messages" => deep}, opts))
        assert message =~ "body.messages"

        message = invalid!(Bedrock.invoke_model_stream(@model, %{"deep" => deep}, opts))
        assert message =~ "body.deep"

        schema_tool = %{tool_spec: %{name: "t", input_schema: %{json: %{"properties" => deep}}}}
        message = invalid!(Bedrock.stream(request(%{tool_config: %{tools: [schema_tool]}}), opts))
        assert message =~ "tool_config.tools[0].tool_spec.input_schema.json.properties"
      end

      # The VM is alive and the engine still works.
      assert {:ok, %{text: "Fine."}} = Bedrock.converse(request(), opts)
    end

    test "a request at the top of the depth range goes all the way through", %{opts: opts} do
      # A tool result's JSON is level 9 (request, messages, message, content, block,
      # tool_result, content, item, json); 91 nested lists under it reach level 100.
      limits = [limits: [max_depth: 100]]

      assert {:ok, %{text: "Fine."}} =
               Bedrock.converse(tool_round(nested_list(91)), limits ++ opts)

      assert {:ok, :started} = settle(Bedrock.stream(tool_round(nested_list(91)), limits ++ opts))

      message = invalid!(Bedrock.converse(tool_round(nested_list(92)), limits ++ opts))
      assert message =~ "exceeds the limit of 100 (max_depth"
    end

    test "the depth limit is configurable within its range", %{opts: opts} do
      fields = %{additional_model_request_fields: %{"x" => nested_list(20)}}
      assert {:ok, :started} = settle(Bedrock.stream(request(fields), opts))
      message = invalid!(Bedrock.stream(request(fields), [{:limits, [max_depth: 16]} | opts]))
      assert message =~ "exceeds the limit of 16 (max_depth"

      assert {:error, %Aybiza.Error{reason: :invalid_config, message: m}} =
               Bedrock.stream(request(), [{:limits, [max_depth: 100_000]} | opts])

      assert m =~ "max_depth must be an integer from 8 to 100"

      assert {:error, %Aybiza.Error{reason: :invalid_config}} =
               Bedrock.converse(request(), [{:limits, %{max_dept: 10}} | opts])

      assert_raise ArgumentError, fn -> Bedrock.stream(request(), [{:limits, :big} | opts]) end
    end
  end

  describe "tool results" do
    test "a tool that returns a 100,000-level map is a tool error the model reads; the VM lives" do
      deep = nested_map(100_000)

      tool =
        Aybiza.Bedrock.Tool.new!(
          name: "lookup_customer",
          description: "Look up customer information in the CRM system",
          input_schema: %{
            "type" => "object",
            "properties" => %{"customer_id" => %{"type" => "string"}},
            "required" => ["customer_id"]
          },
          execute: fn _ -> {:ok, deep} end
        )

      request = %{
        model_id: "us.anthropic.claude-haiku-4-5-20251001-v1:0",
        messages: [%{role: :user, content: [%{text: "Can you lookup_customer C-42 for me?"}]}],
        inference_config: %{max_tokens: 512}
      }

      # The default backend: the real engine against the embedded emulator (config/test.exs).
      {:ok, ref} = Aybiza.Bedrock.ToolLoop.stream(request, [tool], [])
      events = collect(ref, [])

      assert Enum.any?(events, &match?({:tool_call, %{name: "lookup_customer"}}, &1))

      # Checked (iteratively, bounded) before it goes into a request: a tool error, so the
      # model answers and the turn ends normally.
      assert [%{status: :error, error: error}] = for({:tool_result, r} <- events, do: r)
      assert error =~ "not JSON (it is nested deeper than 32 levels)"
      assert {:done, %{rounds: 2}} = List.last(events)
      assert Enum.count(events, &(match?({:done, _}, &1) or match?({:error, _}, &1))) == 1
    end
  end

  defp collect(ref, acc) do
    receive do
      {:aybiza_bedrock, ^ref, {:done, _} = e} -> Enum.reverse([e | acc])
      {:aybiza_bedrock, ^ref, {:error, _} = e} -> Enum.reverse([e | acc])
      {:aybiza_bedrock, ^ref, e} -> collect(ref, [e | acc])
    after
      30_000 -> flunk("no terminal event; got #{inspect(Enum.reverse(acc), limit: 5)}")
    end
  end

  describe "sizes" do
    test "a 50 MB text is refused before the network, naming the limit", %{opts: opts} do
      huge = :binary.copy("a", 50_000_000)

      message =
        invalid!(Bedrock.stream(request(%{messages: [%{role: :user, content: huge}]}), opts))

      assert message =~ "max_request_bytes"

      message =
        invalid!(
          Bedrock.converse(
            request(%{messages: [%{role: :user, content: [%{text: "ok"}, %{text: "too long"}]}]}),
            [{:limits, [max_text_bytes: 4]} | opts]
          )
        )

      assert message =~ "messages[0].content[1].text"
      assert message =~ "max_text_bytes"
    end

    test "images and documents are held to Bedrock's limits", %{opts: opts} do
      image = %{image: %{format: :png, bytes: <<0xFF>> <> :binary.copy(<<0>>, 4_000_000)}}

      message =
        invalid!(Bedrock.stream(request(%{messages: [%{role: :user, content: [image]}]}), opts))

      assert message =~ "messages[0].content[0].image"
      assert message =~ "3932160 (max_image_bytes"

      small = %{image: %{format: :png, bytes: <<0xFF, 1, 2>>}}
      content = [%{text: "look"} | List.duplicate(small, 21)]

      message =
        invalid!(Bedrock.stream(request(%{messages: [%{role: :user, content: content}]}), opts))

      assert message =~ "max_images_per_message"

      doc = %{
        document: %{format: :pdf, name: "d", bytes: <<0xFF>> <> :binary.copy(<<0>>, 5_000_000)}
      }

      content = [%{text: "read"}, doc]

      message =
        invalid!(Bedrock.stream(request(%{messages: [%{role: :user, content: content}]}), opts))

      assert message =~ "max_document_bytes"
    end

    test "message count, model id and tool schema size are limited", %{opts: opts} do
      messages =
        for i <- 1..5, do: %{role: if(rem(i, 2) == 1, do: :user, else: :assistant), content: "m"}

      message =
        invalid!(
          Bedrock.stream(request(%{messages: messages}), [{:limits, [max_messages: 4]} | opts])
        )

      assert message =~ "max_messages"

      message =
        invalid!(Bedrock.converse(request(%{model_id: String.duplicate("a", 3000)}), opts))

      assert message =~ "max_model_id_bytes"

      props = Map.new(1..100, fn i -> {"p#{i}", %{"type" => "string"}} end)
      tool = %{tool_spec: %{name: "t", input_schema: %{json: %{"properties" => props}}}}

      message =
        invalid!(
          Bedrock.stream(request(%{tool_config: %{tools: [tool]}}), [
            {:limits, [max_tool_schema_bytes: 512]} | opts
          ])
        )

      assert message =~ "tool_config.tools[0].tool_spec.input_schema"
      assert message =~ "max_tool_schema_bytes"
    end
  end

  describe "odd terms" do
    test "improper lists anywhere are invalid_request naming the path", %{opts: opts} do
      msg = %{role: :user, content: "hi"}
      message = invalid!(Bedrock.stream(%{model_id: @model, messages: [msg | :tail]}, opts))
      assert message =~ "messages"
      assert message =~ "improper list"

      message =
        invalid!(
          Bedrock.converse(
            request(%{messages: [%{role: :user, content: [%{text: "a"} | "b"]}]}),
            opts
          )
        )

      assert message =~ "messages[0].content"

      message = invalid!(Bedrock.invoke_model(@model, %{"stop" => ["a" | "b"]}, opts))
      assert message =~ "body.stop"

      message = invalid!(Bedrock.invoke_model_stream(@model, %{"a" => [1, 2 | 3]}, opts))
      assert message =~ "body.a"
    end

    test "invalid UTF-8 text is named as such", %{opts: opts} do
      bad = %{role: :user, content: [%{text: <<0xFF, 0xFE>>}]}
      message = invalid!(Bedrock.stream(request(%{messages: [bad]}), opts))
      assert message =~ "messages[0].content[0].text"
      assert message =~ "not valid UTF-8"
    end

    test "bignums, tuples, pids, refs, funs and odd keys name the path", %{opts: opts} do
      cases = [
        {%{"n" => 2 ** 70}, "beyond 64 bits"},
        {%{"n" => -(2 ** 64)}, "beyond 64 bits"},
        {%{"t" => {1, 2}}, "a tuple"},
        {%{"p" => self()}, "a pid"},
        {%{"r" => make_ref()}, "a reference"},
        {%{"f" => fn -> :ok end}, "a function"},
        {%{"b" => <<1::3>>}, "bitstring"},
        {%{1 => "x"}, "map keys must be atoms or strings"},
        {%{{:a} => "x"}, "map keys must be atoms or strings"},
        {%{<<0xFF, 0xFE>> => "x"}, "not valid UTF-8"},
        {%{:a => 1, "a" => 2}, "appears twice"}
      ]

      for {value, expected} <- cases do
        message =
          invalid!(
            Bedrock.stream(request(%{additional_model_request_fields: %{"v" => value}}), opts)
          )

        assert message =~ "additional_model_request_fields.v", message
        assert message =~ expected, message
      end
    end

    test "text, catalog and cost functions take odd terms without crashing" do
      # 20-63 levels once overflowed a dirty scheduler's stack in the catalog's converter.
      deep =
        for d <- [20, 40, 50, 63, 64, 100_000], f <- [&nested_map/1, &nested_list/1], do: f.(d)

      for bad <- deep ++ [[1 | 2], %{"n" => 2 ** 70}, {1, 2}] do
        for fun <- [
              fn -> Text.assess_query_complexity("hi", %{agent_type: bad}) end,
              fn -> Text.should_use_extended_thinking?("hi", %{conversation_history: bad}) end,
              fn -> Text.determine_response_length("hi", %{multi_turn: bad}) end,
              fn -> Text.new_segmenter(max_chars: bad) end,
              fn -> Cost.calculate(@model, %{input_tokens: bad}) end,
              fn -> Cost.calculate(@model, %{"extra" => bad}) end,
              fn -> Routing.select_optimal_model_and_region(0.5, 1000, %{tools: bad}) end,
              fn -> Routing.select_optimal_model_and_region(0.5, 1000, [], %{excluded: bad}) end,
              fn -> Catalog.put_overrides(%{"models" => bad}) end
            ] do
          survives(fun)
        end
      end
    end
  end

  # Either a result or an ArgumentError/FunctionClauseError (programmer mistake); never a NIF
  # panic, never a dead VM.
  defp survives(fun) do
    try do
      fun.()
    rescue
      e in [ArgumentError, FunctionClauseError, Aybiza.Error] -> e
    catch
      :error, :nif_panicked -> flunk("a NIF panicked")
    end
  end

  describe "randomized" do
    # Seeds listed so a failure is reproducible: `:rand.seed(:exsss, seed)`.
    @seeds Enum.to_list(1..20)

    test "random deep, wide, improper and huge terms in every request position", %{opts: opts} do
      for seed <- @seeds do
        :rand.seed(:exsss, {seed, seed * 7, seed * 13})

        for _ <- 1..8 do
          term = random_term(0)

          results = [
            Bedrock.stream(request(%{additional_model_request_fields: %{"x" => term}}), opts),
            Bedrock.stream(request(%{request_metadata: %{"k" => term}}), opts),
            Bedrock.stream(request(%{messages: [%{role: :user, content: term}]}), opts),
            Bedrock.stream(%{model_id: @model, messages: term}, opts),
            Bedrock.converse(
              request(%{
                messages: [
                  %{
                    role: :user,
                    content: [
                      %{text: "a"},
                      %{tool_result: %{tool_use_id: "t", content: [%{json: %{"r" => term}}]}}
                    ]
                  }
                ]
              }),
              opts
            ),
            Bedrock.invoke_model_stream(@model, %{"x" => term}, opts),
            Bedrock.stream(
              request(%{
                tool_config: %{
                  tools: [%{tool_spec: %{name: "t", input_schema: %{json: %{"p" => term}}}}]
                }
              }),
              opts
            )
          ]

          for result <- results do
            case settle(result) do
              {:ok, _} ->
                :ok

              {:error, %Aybiza.Error{reason: reason}} ->
                assert reason in [:invalid_request, :validation], "seed #{seed}: #{reason}"
            end
          end
        end
      end

      assert {:ok, %{text: "Fine."}} = Bedrock.converse(request(), opts)
    end
  end

  defp random_term(depth) do
    case :rand.uniform(if depth > 6, do: 9, else: 14) do
      1 -> :rand.uniform(1000)
      2 -> 2 ** (60 + :rand.uniform(20))
      3 -> :rand.uniform() * 1.0e10
      4 -> Enum.random([true, false, nil, :atom])
      5 -> :crypto.strong_rand_bytes(:rand.uniform(8))
      6 -> "text"
      7 -> Enum.random([self(), make_ref(), {1, 2}])
      8 -> nested_list(Enum.random([10, 63, 64, 65, 200, 5_000]))
      9 -> nested_map(Enum.random([10, 62, 66, 3_000]))
      10 -> for _ <- 1..:rand.uniform(5), do: random_term(depth + 1)
      11 -> [random_term(depth + 1) | random_term(depth + 1)]
      12 -> Map.new(1..:rand.uniform(4), fn i -> {"k#{i}", random_term(depth + 1)} end)
      13 -> %{Enum.random([:a, "b", 1, <<0xFF>>]) => random_term(depth + 1)}
      14 -> List.duplicate(0, Enum.random([10, 20_000]))
    end
  end
end
