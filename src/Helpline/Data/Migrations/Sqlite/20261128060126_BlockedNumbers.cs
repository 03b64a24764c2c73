using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Helpline.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class BlockedNumbers : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "BlockedNumbers",
                columns: table => new
                {
                    Id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    PhoneHash = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    MaskedNumber = table.Column<string>(type: "TEXT", maxLength: 16, nullable: false),
                    Reason = table.Column<string>(type: "TEXT", nullable: false),
                    BlockedAt = table.Column<DateTime>(type: "TEXT", nullable: false),
                    Until = table.Column<DateTime>(type: "TEXT", nullable: false),
                    BlockedById = table.Column<string>(type: "TEXT", maxLength: 450, nullable: true),
                    BlockedByName = table.Column<string>(type: "TEXT", maxLength: 256, nullable: true),
                    ContactId = table.Column<long>(type: "INTEGER", nullable: true),
                    LiftedAt = table.Column<DateTime>(type: "TEXT", nullable: true),
                    LiftedByName = table.Column<string>(type: "TEXT", maxLength: 256, nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_BlockedNumbers", x => x.Id);
                    table.ForeignKey(
                        name: "FK_BlockedNumbers_Contacts_ContactId",
                        column: x => x.ContactId,
                        principalTable: "Contacts",
                        principalColumn: "Id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateIndex(
                name: "IX_BlockedNumbers_ContactId",
                table: "BlockedNumbers",
                column: "ContactId");

            migrationBuilder.CreateIndex(
                name: "IX_BlockedNumbers_PhoneHash_Until",
                table: "BlockedNumbers",
                columns: new[] { "PhoneHash", "Until" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "BlockedNumbers");
        }
    }
}
