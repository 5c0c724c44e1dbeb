defmodule Aybiza.Utf8ErrorsTest do
  # A text that is not valid UTF-8 is reported as such, with its field path, wherever it is
  # and however the request's keys are spelled (atoms or strings, snake or camel case).
  use ExUnit.Case, async: true

  alias Aybiza.Bedrock
  alias Aybiza.Error

  @model "us.anthropic.claude-haiku-4-5-20251001-v1:0"
  @bad <<"caf", 0xE9, " ", 0xFF>>

  defp error_of(request) do
    assert {:error, %Error{reason: :invalid_request, message: message}} =
             Bedrock.converse(request)

    message
  end

  test "message text, content shorthand, system text and tool results" do
    user = fn content -> %{model_id: @model, messages: [%{role: :user, content: content}]} end

    assert error_of(user.([%{text: @bad}])) ==
             "messages[0].content[0].text: expected a string, got a binary that is not valid UTF-8"

    assert error_of(user.(@bad)) =~
             ~r/^messages\[0\]\.content(\[0\]\.text)?: .*not valid UTF-8/

    assert error_of(%{
             model_id: @model,
             system: [%{text: @bad}],
             messages: [%{role: :user, content: "Hi"}]
           }) =~
             ~r/^system\[0\]\.text: .*not valid UTF-8/

    tool_round = %{
      model_id: @model,
      messages: [
        %{role: :user, content: "Look it up"},
        %{
          role: :assistant,
          content: [%{tool_use: %{tool_use_id: "t1", name: "lookup", input: %{}}}]
        },
        %{role: :user, content: [%{tool_result: %{tool_use_id: "t1", content: [%{text: @bad}]}}]}
      ]
    }

    assert error_of(tool_round) =~
             ~r/^messages\[2\]\.content\[0\]\.tool_result\.content\[0\]\.text: .*not valid UTF-8/
  end

  test "string and camelCase keys" do
    request = %{
      "modelId" => @model,
      "messages" => [%{"role" => "user", "content" => [%{"text" => @bad}]}]
    }

    assert error_of(request) =~ "not valid UTF-8"
  end

  test "a real map where a string belongs still says so" do
    message =
      error_of(%{model_id: @model, messages: [%{role: :user, content: [%{text: %{a: 1}}]}]})

    assert message =~ "got a map"
    refute message =~ "UTF-8"
  end
end
