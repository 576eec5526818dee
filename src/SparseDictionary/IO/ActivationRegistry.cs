using System.Text.Json.Nodes;

namespace SparseDictionary;

/// <summary>
/// Names activations in saved SAEs and checkpoints, so that a saved model's nonlinearity can be rebuilt when it is
/// loaded. TopK (<c>"topk"</c>, parameter <c>k</c>) and ReLU (<c>"relu"</c>) are registered; register a user-written
/// activation once, before saving or loading SAEs that use it.
/// </summary>
/// <remarks>
/// An activation is described by a JSON object: <c>{"kind": "topk", "k": 32}</c>. The kind names the registration,
/// the other properties are the activation's parameters, written by the registration's <c>describe</c> function and
/// read back by its <c>create</c> function. The registry is safe to use from several threads.
/// </remarks>
public static class ActivationRegistry
{
    private const string KindProperty = "kind";
    private static readonly Lock Gate = new();
    private static readonly Dictionary<string, Registration> ByKind = new(StringComparer.Ordinal);
    private static readonly Dictionary<Type, Registration> ByType = [];

#pragma warning disable CA1810 // The built-ins are registered through the same checks as user activations.
    static ActivationRegistry()
#pragma warning restore CA1810
    {
        Register<TopKActivation>("topk", a => new JsonObject { ["k"] = a.K }, p => new TopKActivation(ReadInt(p, "k")));
        Register<ReLUActivation>("relu", _ => [], _ => new ReLUActivation());
    }

    /// <summary>Registers activation type <typeparamref name="TActivation"/> under <paramref name="kind"/>.</summary>
    /// <typeparam name="TActivation">The activation's exact type.</typeparam>
    /// <param name="kind">A name not registered yet, e.g. "my-jumprelu"; written into saved configs.</param>
    /// <param name="describe">Writes an instance's parameters (the "kind" property is added by the registry).</param>
    /// <param name="create">Builds an instance from the parameters <paramref name="describe"/> wrote; throw <see cref="ArgumentException"/> or <see cref="InvalidDataException"/> for bad values.</param>
    /// <exception cref="ArgumentException">The kind or the type is already registered, or the kind is empty.</exception>
    public static void Register<TActivation>(string kind, Func<TActivation, JsonObject> describe, Func<JsonObject, TActivation> create)
        where TActivation : IActivation
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(kind);
        ArgumentNullException.ThrowIfNull(describe);
        ArgumentNullException.ThrowIfNull(create);
        var registration = new Registration(kind, typeof(TActivation), a => describe((TActivation)a), p => create(p));
        lock (Gate)
        {
            if (ByKind.ContainsKey(kind))
            {
                throw new ArgumentException($"The activation kind '{kind}' is already registered (for {ByKind[kind].Type.Name}).", nameof(kind));
            }

            if (ByType.TryGetValue(typeof(TActivation), out var existing))
            {
                throw new ArgumentException($"{typeof(TActivation).Name} is already registered as '{existing.Kind}'.", nameof(kind));
            }

            ByKind.Add(kind, registration);
            ByType.Add(typeof(TActivation), registration);
        }
    }

    /// <summary>Whether <paramref name="kind"/> is registered.</summary>
    /// <param name="kind">An activation kind.</param>
    /// <returns>True when an activation of that kind can be loaded.</returns>
    public static bool IsRegistered(string kind)
    {
        lock (Gate)
        {
            return ByKind.ContainsKey(kind);
        }
    }

    /// <summary>The description of <paramref name="activation"/>: its kind and parameters.</summary>
    /// <param name="activation">An activation of a registered type.</param>
    /// <returns>A new JSON object, e.g. <c>{"kind": "topk", "k": 32}</c>.</returns>
    /// <exception cref="ArgumentException">The activation's type is not registered.</exception>
    public static JsonObject Describe(IActivation activation)
    {
        ArgumentNullException.ThrowIfNull(activation);
        Registration? registration;
        lock (Gate)
        {
            ByType.TryGetValue(activation.GetType(), out registration);
        }

        if (registration is null)
        {
            throw new ArgumentException(
                $"The activation {activation.Name} ({activation.GetType().FullName}) is not registered; call ActivationRegistry.Register<{activation.GetType().Name}>(kind, describe, create) before saving it.",
                nameof(activation));
        }

        var parameters = registration.Describe(activation) ?? [];
        var description = new JsonObject { [KindProperty] = registration.Kind };
        foreach (var (name, value) in parameters)
        {
            if (name != KindProperty)
            {
                description[name] = value?.DeepClone();
            }
        }

        return description;
    }

    /// <summary>Builds the activation a description names.</summary>
    /// <param name="description">An object with a "kind" string and the kind's parameters.</param>
    /// <returns>The activation.</returns>
    /// <exception cref="InvalidDataException">No kind, an unregistered kind, or parameters the kind refuses.</exception>
    public static IActivation Create(JsonObject description)
    {
        ArgumentNullException.ThrowIfNull(description);
        if (description[KindProperty] is not JsonValue kindValue || !kindValue.TryGetValue<string>(out var kind))
        {
            throw new InvalidDataException($"The activation description {description.ToJsonString()} has no \"{KindProperty}\" string.");
        }

        Registration? registration;
        lock (Gate)
        {
            ByKind.TryGetValue(kind, out registration);
        }

        if (registration is null)
        {
            string known;
            lock (Gate)
            {
                known = string.Join(", ", ByKind.Keys.Order(StringComparer.Ordinal).Select(k => $"'{k}'"));
            }

            throw new InvalidDataException($"The activation kind '{kind}' is not registered (registered: {known}); call ActivationRegistry.Register before loading a model that uses it.");
        }

        try
        {
            return registration.Create(description);
        }
        catch (Exception e) when (e is ArgumentException or FormatException or InvalidOperationException)
        {
            throw new InvalidDataException($"The activation {description.ToJsonString()} cannot be built: {e.Message}", e);
        }
    }

    /// <summary>Reads integer parameter <paramref name="name"/> of an activation description.</summary>
    /// <param name="parameters">The description.</param>
    /// <param name="name">The parameter.</param>
    /// <returns>Its value.</returns>
    /// <exception cref="InvalidDataException">The parameter is missing or not an integer.</exception>
    public static int ReadInt(JsonObject parameters, string name)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        return parameters[name] is JsonValue value && value.TryGetValue<int>(out var result)
            ? result
            : throw new InvalidDataException($"The activation {parameters.ToJsonString()} needs an integer \"{name}\".");
    }

    private sealed record Registration(string Kind, Type Type, Func<IActivation, JsonObject> Describe, Func<JsonObject, IActivation> Create);
}
