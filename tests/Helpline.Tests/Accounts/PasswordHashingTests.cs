using System.Buffers.Binary;
using Helpline.Accounts;
using Helpline.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace Helpline.Tests.Accounts;

/// <summary>
/// Staff passwords are stored as the app stores them in production: PBKDF2 with HMAC-SHA512 and at
/// least 100,000 rounds (Identity's format 3). Other tests run with fewer rounds to save time, so
/// this one turns that off and reads what was stored.
/// </summary>
public sealed class PasswordHashingTests
{
    [Fact]
    public async Task AStaffPasswordIsStoredAsPbkdf2WithSha512AndAtLeast100000Rounds()
    {
        await using var app = new HelplineApp { RealPasswordHashing = true };
        await app.CreateStaffAsync("hashing@test.example", Roles.Advisor);

        var stored = await app.WithDbAsync(db => db.Users.Where(u => u.Email == "hashing@test.example").Select(u => u.PasswordHash).SingleAsync());
        var bytes = Convert.FromBase64String(stored!);
        Assert.Equal(0x01, bytes[0]);
        Assert.Equal(2u, BinaryPrimitives.ReadUInt32BigEndian(bytes.AsSpan(1)));
        Assert.True(BinaryPrimitives.ReadUInt32BigEndian(bytes.AsSpan(5)) >= 100_000, "fewer than 100,000 rounds");
        Assert.DoesNotContain(HelplineApp.StaffPassword, stored);

        var session = await app.SignInAsync("hashing@test.example");
        Assert.False(string.IsNullOrEmpty(session.Cookie));
    }
}
