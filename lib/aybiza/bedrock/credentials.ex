defmodule Aybiza.Bedrock.Credentials do
  @moduledoc """
  How a client authenticates to Bedrock. Secrets never appear in `inspect/1` output, logs,
  errors, crash reports or telemetry metadata.

  Unprintable by construction: the access key id, the secret access key, the session token
  and the API key are kept inside zero-arity functions, so even printers that bypass the `Inspect` protocol
  (`inspect(creds, structs: false)`, Erlang's `~p` in an OTP crash report, `:sys.get_state/1`
  of a process holding them) show `#Function<...>`, never the secret. The struct's `Inspect`
  shows only the source (`#Aybiza.Bedrock.Credentials<static:AKIA…>`). Only the term handed to
  the NIF holds them in plain text.

  Forms accepted wherever `:credentials` is an option:

    * `:default` - the AWS default chain of `aws-config` (environment, shared profile
      including SSO, web identity, ECS, IMDS), refreshed automatically before expiry.
    * `{:profile, name}` - the default chain with a named shared-config profile.
    * `%{access_key_id: id, secret_access_key: secret}` (optionally `session_token:`), or
      `{:static, id, secret}` / `{:static, id, secret, token}` - fixed credentials.
    * `{:assume_role, role_arn, opts}` - STS AssumeRole on top of the default chain
      (`opts`: `:session_name`, `:external_id`, `:duration_seconds`).
    * `{:api_key, key}` - a Bedrock API key (bearer auth; also read from
      `AWS_BEARER_TOKEN_BEDROCK` by `:default`).
  """

  @enforce_keys [:type]
  defstruct type: :default,
            access_key_id: nil,
            secret_access_key: nil,
            session_token: nil,
            profile: nil,
            role_arn: nil,
            session_name: nil,
            external_id: nil,
            duration_seconds: nil,
            api_key: nil

  @type t :: %__MODULE__{
          type: :default | :static | :assume_role | :api_key,
          access_key_id: secret() | nil,
          secret_access_key: secret() | nil,
          session_token: secret() | nil,
          profile: String.t() | nil,
          role_arn: String.t() | nil,
          session_name: String.t() | nil,
          external_id: String.t() | nil,
          duration_seconds: pos_integer() | nil,
          api_key: secret() | nil
        }

  @typedoc "A secret, sealed in a function so that no printer shows it."
  @opaque secret :: (() -> String.t())

  @type input ::
          :default
          | {:profile, String.t()}
          | {:static, String.t(), String.t()}
          | {:static, String.t(), String.t(), String.t() | nil}
          | {:assume_role, String.t(), keyword()}
          | {:api_key, String.t()}
          | map()
          | t()

  @doc """
  Normalizes any accepted form into a `%Credentials{}`; raises `ArgumentError` (without the
  secret) for anything else.
  """
  @spec new(input()) :: t()
  def new(%__MODULE__{} = creds), do: creds
  def new(:default), do: %__MODULE__{type: :default}

  def new({:profile, name}) when is_binary(name) and name != "",
    do: %__MODULE__{type: :default, profile: name}

  def new({:static, id, secret}), do: new({:static, id, secret, nil})

  def new({:static, id, secret, token})
      when is_binary(id) and is_binary(secret) and id != "" and secret != "" and
             (is_nil(token) or is_binary(token)) do
    %__MODULE__{
      type: :static,
      access_key_id: seal(id),
      secret_access_key: seal(secret),
      session_token: seal(token)
    }
  end

  def new({:assume_role, arn, opts}) when is_binary(arn) and is_list(opts) do
    opts =
      Aybiza.Bedrock.Options.validate!(
        opts,
        [:session_name, :external_id, :duration_seconds],
        ":assume_role option"
      )

    %__MODULE__{
      type: :assume_role,
      role_arn: arn,
      session_name: Keyword.get(opts, :session_name, "aybiza-bedrock"),
      external_id: opts[:external_id],
      duration_seconds: opts[:duration_seconds]
    }
  end

  def new({:api_key, key}) when is_binary(key) and key != "",
    do: %__MODULE__{type: :api_key, api_key: seal(key)}

  def new(%{} = map) do
    id = Map.get(map, :access_key_id) || Map.get(map, "access_key_id")
    secret = Map.get(map, :secret_access_key) || Map.get(map, "secret_access_key")
    token = Map.get(map, :session_token) || Map.get(map, "session_token")

    if is_binary(id) and is_binary(secret) and id != "" and secret != "" do
      new({:static, id, secret, token})
    else
      raise ArgumentError,
            "credentials map needs non-empty :access_key_id and :secret_access_key"
    end
  end

  def new(other) do
    raise ArgumentError,
          "invalid :credentials (expected :default, {:profile, name}, {:static, id, secret}, " <>
            "{:assume_role, arn, opts}, {:api_key, key} or a map), got " <>
            Aybiza.Bedrock.Options.describe(other)
  end

  # The closure captures only the secret; funs print as #Function<...> everywhere.
  defp seal(nil), do: nil
  defp seal(secret) when is_binary(secret), do: fn -> secret end

  defp unseal(nil), do: nil
  defp unseal(sealed) when is_function(sealed, 0), do: sealed.()

  @doc false
  # The map the NIF decodes, built as the NIF call's argument: only the native layer sees
  # secrets in plain text.
  @spec to_native(t()) :: map()
  def to_native(%__MODULE__{} = c) do
    # Built directly (no struct update, from_struct, reject, new): this runs on every
    # call's path to its first sentence.
    pairs = [
      type: Atom.to_string(c.type),
      access_key_id: unseal(c.access_key_id),
      secret_access_key: unseal(c.secret_access_key),
      session_token: unseal(c.session_token),
      profile: c.profile,
      role_arn: c.role_arn,
      session_name: c.session_name,
      external_id: c.external_id,
      duration_seconds: c.duration_seconds,
      api_key: unseal(c.api_key)
    ]

    :maps.from_list(for {_key, value} = pair <- pairs, value != nil, do: pair)
  end

  @doc """
  A string that identifies the credential source for client caching and metrics without
  revealing any secret (the access key id is shown shortened).
  """
  @spec source_label(t()) :: String.t()
  def source_label(%__MODULE__{type: :static, access_key_id: id}),
    do: "static:" <> mask(unseal(id))

  def source_label(%__MODULE__{type: :default, profile: nil}), do: "default"
  def source_label(%__MODULE__{type: :default, profile: p}), do: "profile:" <> p
  def source_label(%__MODULE__{type: :assume_role, role_arn: arn}), do: "assume_role:" <> arn
  def source_label(%__MODULE__{type: :api_key}), do: "api_key"

  defp mask(id) when byte_size(id) > 8, do: binary_part(id, 0, 4) <> "…"
  defp mask(_), do: "…"

  defimpl Inspect do
    def inspect(creds, _opts) do
      "#Aybiza.Bedrock.Credentials<" <> Aybiza.Bedrock.Credentials.source_label(creds) <> ">"
    end
  end
end
