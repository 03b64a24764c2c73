using System;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

#nullable disable

namespace Helpline.Data.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class WebChat : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "Conversations",
                columns: table => new
                {
                    ContactId = table.Column<long>(type: "bigint", nullable: false),
                    SecretHash = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    Nickname = table.Column<string>(type: "text", nullable: true),
                    AddressHash = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    StartedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    LastSeenAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    LastSequence = table.Column<int>(type: "integer", nullable: false),
                    ReadByPerson = table.Column<int>(type: "integer", nullable: false),
                    ReadByAdvisor = table.Column<int>(type: "integer", nullable: false),
                    RiskReason = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: true),
                    RiskRaisedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    PersonLeftAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_Conversations", x => x.ContactId);
                    table.ForeignKey(
                        name: "FK_Conversations_Contacts_ContactId",
                        column: x => x.ContactId,
                        principalTable: "Contacts",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "ChatMessages",
                columns: table => new
                {
                    Id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    ContactId = table.Column<long>(type: "bigint", nullable: false),
                    Sequence = table.Column<int>(type: "integer", nullable: false),
                    Sender = table.Column<int>(type: "integer", nullable: false),
                    AdvisorId = table.Column<string>(type: "text", nullable: true),
                    ClientMessageId = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: true),
                    Body = table.Column<string>(type: "text", nullable: true),
                    SentAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_ChatMessages", x => x.Id);
                    table.ForeignKey(
                        name: "FK_ChatMessages_Conversations_ContactId",
                        column: x => x.ContactId,
                        principalTable: "Conversations",
                        principalColumn: "ContactId",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "IX_ChatMessages_ContactId_ClientMessageId",
                table: "ChatMessages",
                columns: new[] { "ContactId", "ClientMessageId" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_ChatMessages_ContactId_Sender_SentAt",
                table: "ChatMessages",
                columns: new[] { "ContactId", "Sender", "SentAt" });

            migrationBuilder.CreateIndex(
                name: "IX_ChatMessages_ContactId_Sequence",
                table: "ChatMessages",
                columns: new[] { "ContactId", "Sequence" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_Conversations_AddressHash_LastSeenAt",
                table: "Conversations",
                columns: new[] { "AddressHash", "LastSeenAt" });

            migrationBuilder.CreateIndex(
                name: "IX_Conversations_AddressHash_StartedAt",
                table: "Conversations",
                columns: new[] { "AddressHash", "StartedAt" });

            migrationBuilder.CreateIndex(
                name: "IX_Conversations_SecretHash",
                table: "Conversations",
                column: "SecretHash",
                unique: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "ChatMessages");

            migrationBuilder.DropTable(
                name: "Conversations");
        }
    }
}
