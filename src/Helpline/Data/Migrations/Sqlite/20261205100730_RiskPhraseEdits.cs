using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Helpline.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class RiskPhraseEdits : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "RiskPhraseEdits",
                columns: table => new
                {
                    Phrase = table.Column<string>(type: "TEXT", maxLength: 100, nullable: false),
                    Listed = table.Column<bool>(type: "INTEGER", nullable: false),
                    ChangedAt = table.Column<DateTime>(type: "TEXT", nullable: false),
                    ChangedByName = table.Column<string>(type: "TEXT", maxLength: 256, nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_RiskPhraseEdits", x => x.Phrase);
                });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "RiskPhraseEdits");
        }
    }
}
